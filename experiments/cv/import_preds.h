/* A model trained elsewhere, in the experiment's folds: its out-of-fold
 * probabilities read back from a CSV, per 3-s segment
 * (track,segment,p_<label>...; segment is the row's file name
 * <stem>.<k>.wav as predictions.csv writes it, or its index k) or per track
 * (track,p_<label>..., the track's probabilities given to each of its
 * segments). Other columns are ignored, except `true` or `label`, which must
 * agree with the experiment's labels. */
#ifndef GENRE_IMPORT_PREDS_H
#define GENRE_IMPORT_PREDS_H

#include <stddef.h>

#include "cv.h"

typedef struct import_rows {
  size_t n;                     /* the experiment's rows */
  char *const *names;           /* [n] segment names */
  const int *track;             /* [n] */
  size_t n_tracks;
  char *const *tracks;          /* [n_tracks] names */
  const int *y;                 /* [n] labels */
  char *const *labels;          /* [K] */
  int K;
  const unsigned char *tested;  /* [n]: the rows the folds test (each exactly once in the file) */
} import_rows_t;

/* probs[n][K] of the tested rows (the others left), each row's normalised to
 * 1. The file must cover every tested row once, name no other, and give
 * finite probabilities in [0, 1] summing to 1 +- 1e-3. 0, or -1 with the
 * reason naming the file, its line and what is wrong. */
int import_read(const char *path, const import_rows_t *in, real *probs, char *err, size_t errlen);

#endif
