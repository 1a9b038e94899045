/* The dense network on feature tables: its layer table, presets and fitting
 * (standardisation on the training rows, then training). */
#ifndef GENRE_ANN_H
#define GENRE_ANN_H

#include "dataset.h"
#include "model.h"
#include "train.h"

typedef struct ann_opts {
  char arch[32];  /* preset the defaults came from */
  int hidden[16], n_hidden;
  float dropout;  /* after every hidden layer */
  int batchnorm;  /* batch normalisation before each hidden activation */
  int conv1d;     /* keras-conv1d: 1-D convolutions over the feature vector before the dense layers */
  int members;    /* ensemble size: members differ in initialisation and dropout draws */
  double val_fraction;
  train_opts_t train;
} ann_opts_t;

/* Options of a preset. "keras-mlp" (old name "seed"): the published Keras
 * GTZAN projects' dense network (512-256-128 ReLU, dropout 0.2, batch 32, Adam
 * 1e-3, early stopping on 10% of the tracks). "keras-conv1d" (old name
 * "seed004"): their 1-D CNN over the standardised feature vector: conv1d 64
 * (3 taps) + ReLU + max-pool 2, conv1d 128 + ReLU + max-pool 2, dense 128 +
 * ReLU, dropout 0.3, batch 32, Adam 1e-3, early stopping as keras-mlp.
 * "default": ours, the best we found (README): 2 members of one hidden layer of
 * 256 units, dropout 0.5, mixup 0.2, label smoothing 0.1, batch 128, Adam 3e-3
 * on a cosine schedule for 200 epochs, all training tracks used.
 * 0, or -1 for an unknown name. */
int ann_preset(const char *name, ann_opts_t *o);

/* The layer table for o: [dense(h) (batchnorm) relu (dropout)]... dense(K). */
int ann_layers(const ann_opts_t *o, layer_spec_t *spec);

/* Trains a model on rows train[] of d, validating on val[] (may be empty):
 * fits the scaler on train + val, scales a copy of the features, trains each
 * member. log: one entry per epoch (o->train.epochs of them), the mean over
 * members. 0, or -1 with a reason. */
int ann_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const ann_opts_t *o, model_t *m, epoch_log_t *log, int *epochs_run, char *err, size_t errlen);

/* MODEL_UNIT_SEGMENT when some row is named as a 3-s segment, else MODEL_UNIT_TRACK. */
int dataset_unit(const dataset_t *d);
/* Class probabilities of rows idx[] of d with a trained model (scaled with the
 * model's scaler). probs[n_idx][K]. */
int ann_predict(model_t *m, const dataset_t *d, const size_t *idx, size_t n_idx, real *probs);

#endif
