/* How far probabilities can be taken at their word: expected calibration
 * error (top label, 15 equal-width confidence bins, as Guo et al. 2017 and
 * sklearn's calibration_curve bin), the multi-class Brier score and the
 * log-loss, and the reliability diagram's bins. */
#ifndef GENRE_CALIBRATION_H
#define GENRE_CALIBRATION_H

#include <stddef.h>

#define CAL_BINS 15

typedef struct calibration {
  size_t n;
  double ece;     /* sum over bins of (count / n) |accuracy - mean confidence| */
  double brier;   /* mean over rows of sum over classes (p_k - [k == y])^2, in [0, 2] */
  double logloss; /* mean of -ln p_y, p_y clipped to [2.2e-16, 1] (machine epsilon) as sklearn 1.2's log_loss */
  size_t count[CAL_BINS];
  double confidence[CAL_BINS], accuracy[CAL_BINS]; /* per bin: means (NaN when empty) */
} calibration_t;

/* Bin of a top-label confidence c in [0, 1]: (b/15, (b+1)/15], the first one
 * closed, as sklearn's calibration_curve bins (searchsorted on linspace's edges). */
int calibration_bin(double c);

/* Rows p[n][K] (each summing to 1) against labels y[n]. rows: which rows to
 * count (NULL: all). */
void calibration_measure(const double *p, const int *y, const unsigned char *rows, size_t n, int K, calibration_t *c);

#endif
