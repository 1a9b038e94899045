/* Temperature scaling (Guo et al. 2017) on a model's probabilities: p_T is
 * proportional to p^(1/T), which is softmax(z / T) for a single network's
 * logits z and, for an ensemble of members, the same map applied to their
 * averaged probabilities. T > 1 softens, T < 1 sharpens; the order of the
 * classes, hence every arg-max, is kept. */
#ifndef GENRE_TEMPERATURE_H
#define GENRE_TEMPERATURE_H

#include <stddef.h>

#include "real.h"

/* p[B][K] in place (T = 1: untouched). */
void temperature_apply(real *p, int B, int K, double T);

/* The T in [0.05, 20] minimising the mean log-loss of p_T over rows p[n][K]
 * with labels y[n] (golden-section search on log T). */
double temperature_fit(const real *p, const int *y, size_t n, int K);

/* A recording's probability is the mean of its segments'; a track
 * temperature is the same map on that mean (a mean of tempered segments is
 * less sure than the segments, which are not independent, warrant). The
 * rows p[n][K] of tracks track[n] (ids below n_tracks; labels y[n]), each
 * tempered by T[row] first (T NULL: as they are), averaged per track into
 * means[tracks][K] with their labels, tracks in order of first row: their
 * count. means and labels hold n_tracks rows (0 when out of memory). */
#define TEMPERATURE_MIN_TRACKS 20 /* fewer tracks (or one row each) fit no track temperature (T = 1) */
size_t temperature_track_means(const real *p, const int *y, const int *track, const double *T, size_t n, size_t n_tracks,
                               int K, real *means, int *labels);

#endif
