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

#endif
