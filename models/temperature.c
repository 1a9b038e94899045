#include "temperature.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* One row scaled: exp(ln p / T), normalised (the largest first, so no overflow). */
static void scale_row(const real *p, double *out, int K, double T) {
  double top = -INFINITY, sum = 0;
  for (int k = 0; k < K; k++) {
    out[k] = log(p[k] > DBL_MIN ? (double)p[k] : DBL_MIN) / T;
    if (out[k] > top) top = out[k];
  }
  for (int k = 0; k < K; k++) sum += (out[k] = exp(out[k] - top));
  for (int k = 0; k < K; k++) out[k] /= sum;
}

void temperature_apply(real *p, int B, int K, double T) {
  if (T == 1 || !(T > 0)) return;
  double q[K];
  for (int b = 0; b < B; b++) {
    scale_row(p + (size_t)b * K, q, K, T);
    for (int k = 0; k < K; k++) p[(size_t)b * K + k] = (real)q[k];
  }
}

static double mean_loss(const real *p, const int *y, size_t n, int K, double T) {
  double q[K], loss = 0;
  for (size_t i = 0; i < n; i++) {
    scale_row(p + i * (size_t)K, q, K, T);
    loss -= log(q[y[i]] > DBL_EPSILON ? q[y[i]] : DBL_EPSILON);
  }
  return n ? loss / (double)n : 0;
}

double temperature_fit(const real *p, const int *y, size_t n, int K) {
  if (!n) return 1;
  const double g = (sqrt(5.0) - 1) / 2;
  double a = log(0.05), b = log(20.0), c = b - g * (b - a), d = a + g * (b - a);
  double fc = mean_loss(p, y, n, K, exp(c)), fd = mean_loss(p, y, n, K, exp(d));
  for (int it = 0; it < 60; it++) { /* the interval shrinks to 1e-12 of itself */
    if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = mean_loss(p, y, n, K, exp(c));
    else a = c, c = d, fc = fd, d = a + g * (b - a), fd = mean_loss(p, y, n, K, exp(d));
  }
  return exp((a + b) / 2);
}

size_t temperature_track_means(const real *p, const int *y, const int *track, const double *T, size_t n, size_t n_tracks,
                               int K, real *means, int *labels) {
  size_t *count = calloc(n_tracks ? n_tracks : 1, sizeof *count), *slot = malloc((n_tracks ? n_tracks : 1) * sizeof *slot);
  double *sum = calloc((n_tracks ? n_tracks : 1) * (size_t)K, sizeof *sum);
  size_t tracks = 0;
  if (count && slot && sum) {
    real q[K];
    for (size_t i = 0; i < n; i++) {
      size_t t = (size_t)track[i];
      for (int k = 0; k < K; k++) q[k] = p[i * (size_t)K + k];
      if (T) temperature_apply(q, 1, K, T[i]);
      for (int k = 0; k < K; k++) sum[t * K + k] += q[k];
      if (!count[t]++) labels[tracks] = y[i], slot[t] = tracks++;
    }
    for (size_t t = 0; t < n_tracks; t++)
      for (int k = 0; count[t] && k < K; k++) means[slot[t] * K + k] = (real)(sum[t * K + k] / (double)count[t]);
  }
  free(count), free(slot), free(sum);
  return tracks;
}
