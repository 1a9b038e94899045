#include "calibration.h"

#include <float.h>
#include <math.h>
#include <string.h>

int calibration_bin(double c) {
  /* numpy.searchsorted(edges[1:-1], c) with edges = numpy.linspace(0, 1, 16):
   * the inner edges below c (bins closed on the right) */
  const double step = 1.0 / CAL_BINS;
  int b = 0;
  for (int j = 1; j < CAL_BINS; j++) b += j * step < c;
  return b;
}

void calibration_measure(const double *p, const int *y, const unsigned char *rows, size_t n, int K, calibration_t *c) {
  memset(c, 0, sizeof *c);
  double conf[CAL_BINS] = {0}, hits[CAL_BINS] = {0}, brier = 0, loss = 0;
  for (size_t i = 0; i < n; i++) {
    if (rows && !rows[i]) continue;
    const double *q = p + i * (size_t)K;
    int top = 0;
    for (int k = 1; k < K; k++)
      if (q[k] > q[top]) top = k;
    int b = calibration_bin(q[top]);
    c->count[b]++, conf[b] += q[top], hits[b] += top == y[i];
    for (int k = 0; k < K; k++) brier += (q[k] - (k == y[i])) * (q[k] - (k == y[i]));
    double py = q[y[i]] < DBL_EPSILON ? DBL_EPSILON : q[y[i]] > 1 ? 1 : q[y[i]];
    loss -= log(py);
    c->n++;
  }
  for (int b = 0; b < CAL_BINS; b++) {
    c->confidence[b] = c->count[b] ? conf[b] / c->count[b] : NAN;
    c->accuracy[b] = c->count[b] ? hits[b] / c->count[b] : NAN;
    if (c->count[b]) c->ece += (double)c->count[b] / (double)(c->n ? c->n : 1) * fabs(c->accuracy[b] - c->confidence[b]);
  }
  c->brier = c->n ? brier / c->n : NAN;
  c->logloss = c->n ? loss / c->n : NAN;
}
