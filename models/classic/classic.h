/* The classical kinds' fitted state, held by a model_t in place of a network
 * (model.h: MODEL_KNN; net is NULL). Their rows arrive standardised by the
 * model's own z-score scaler, as an ANN's do. */
#ifndef GENRE_CLASSIC_H
#define GENRE_CLASSIC_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

enum { KNN_UNIFORM = 0, KNN_DISTANCE = 1 };

typedef struct classic {
  int k, weights;  /* kNN: neighbours; KNN_UNIFORM or KNN_DISTANCE (1/d, scikit-learn's 'distance') */
  size_t n, F;     /* stored rows, features */
  double *x;       /* [n][F] the training rows, standardised */
  double *norm;    /* [n] their squared norms (computed, not stored) */
  int *y;          /* [n] class indices */
} classic_t;

/* kNN "fitted" on rows[n] of x[][F] (standardised) and their labels: a copy
 * of the rows. NULL with the reason. */
classic_t *knn_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int k, int weights, char *err,
                   size_t errlen);

/* Class probabilities probs[B][K] of x[B][F] (standardised): exact k nearest
 * neighbours by Euclidean distance (BLAS), ties in distance to the earlier
 * stored row, uniform or 1/d votes (a row at distance 0 takes all the vote,
 * as scikit-learn's). 0, or -1 when out of memory. */
int classic_predict(const classic_t *c, int K, const real *x, int B, real *probs);

/* The file form (inside a model file): its size, the bytes, and back (every
 * count checked against n_bytes, F and K). */
size_t classic_size(const classic_t *c);
void classic_write(const classic_t *c, unsigned char *out);
classic_t *classic_read(const unsigned char *p, size_t n_bytes, size_t F, int K, char *err, size_t errlen);
void classic_free(classic_t *c);

#endif
