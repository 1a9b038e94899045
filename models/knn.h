/* k nearest neighbours on a feature table (scikit-learn's
 * KNeighborsClassifier, brute force, Euclidean), as a model kind: the same
 * z-score scaler as the ANN, fitted on the training rows; the model keeps
 * them (models/classic/). */
#ifndef GENRE_KNN_H
#define GENRE_KNN_H

#include <stddef.h>

#include "dataset.h"
#include "model.h"
#include "train.h"

typedef struct knn_opts {
  char arch[32];
  int k;            /* neighbours (scikit-learn's default: 5) */
  int weights;      /* KNN_UNIFORM or KNN_DISTANCE (classic.h) */
  double val_fraction;
  train_opts_t train; /* its seed (the temperature's twin) and --no-calibrate: kNN has no epochs */
} knn_opts_t;

/* "default": k 5, uniform weights (scikit-learn's defaults); "distance": k 5,
 * votes weighted by 1/d. 0, or -1 for another name. */
int knn_preset(const char *name, knn_opts_t *o);

/* The model of rows train[n_train] (val: part of the scaler's rows, as an
 * ANN's; no early stopping to serve). 0, or -1 with the reason. */
int knn_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const knn_opts_t *o, model_t *m, char *err, size_t errlen);

/* Its probabilities of a table's rows: ann_predict (ann.h), as for any model of feature rows. */

#endif
