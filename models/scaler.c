#include "scaler.h"

#include <math.h>

void scaler_fit(const real *x, size_t dim, const size_t *idx, size_t n_idx, float *shift, float *scale) {
  for (size_t f = 0; f < dim; f++) {
    double mean = 0, sq = 0;
    for (size_t i = 0; i < n_idx; i++) mean += x[idx[i] * dim + f];
    mean /= n_idx ? n_idx : 1;
    for (size_t i = 0; i < n_idx; i++) {
      double d = x[idx[i] * dim + f] - mean;
      sq += d * d;
    }
    double sd = sqrt(sq / (n_idx ? n_idx : 1));
    shift[f] = (float)mean;
    scale[f] = sd > 1e-12 * fmax(1.0, fabs(mean)) ? (float)sd : 1.0f;
  }
}

void scaler_apply(real *x, size_t rows, size_t dim, const float *shift, const float *scale) {
  for (size_t r = 0; r < rows; r++)
    for (size_t f = 0; f < dim; f++) x[r * dim + f] = (x[r * dim + f] - shift[f]) / scale[f];
}
