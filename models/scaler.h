/* Standardisation (z-score) per input channel, fitted on training rows only
 * and stored in the model: x' = (x - shift) / scale. */
#ifndef GENRE_SCALER_H
#define GENRE_SCALER_H

#include <stddef.h>

#include "real.h"

/* Fits mean and population standard deviation of each of `dim` columns of
 * x[rows][dim] over the rows listed in idx (scale 1 where a column is constant). */
void scaler_fit(const real *x, size_t dim, const size_t *idx, size_t n_idx, float *shift, float *scale);

/* x[rows][dim] in place. */
void scaler_apply(real *x, size_t rows, size_t dim, const float *shift, const float *scale);

#endif
