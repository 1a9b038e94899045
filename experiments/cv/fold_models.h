/* The ANN and the CNN as cross-validation fold callbacks (cv.h). A map translates the engine's row
 * numbers into the dataset's, so the experiment runs both models on the same
 * rows (the segments both tables have). */
#ifndef GENRE_FOLD_MODELS_H
#define GENRE_FOLD_MODELS_H

#include "ann.h"
#include "cnn.h"
#include "cv.h"
#include "mel_dataset.h"

typedef struct fold_ann {
  const dataset_t *d;
  const ann_opts_t *o;
  const size_t *map; /* engine row -> dataset row (NULL: the same) */
} fold_ann_t;

typedef struct fold_cnn {
  const mel_dataset_t *d;
  const cnn_opts_t *o;
  const size_t *map;
} fold_cnn_t;

int fold_ann(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
             size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, epoch_log_t *log, int *epochs,
             char *err, size_t errlen);
int fold_cnn(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
             size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, epoch_log_t *log, int *epochs,
             char *err, size_t errlen);

#endif
