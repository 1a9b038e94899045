/* The convolutional network on log-mel spectrograms [1][128][130]: presets,
 * fitting (per-band standardisation on the training rows, augmentation,
 * fine-tuning from another model's convolutional layers), prediction. */
#ifndef GENRE_CNN_H
#define GENRE_CNN_H

#include "mel_dataset.h"
#include "model.h"
#include "train.h"

typedef struct cnn_opts {
  char arch[32];
  int augment;        /* AUG_* flags */
  char init[1024];    /* model to start from ("" for none) */
  int freeze_conv;    /* train only the layers after the convolutional stack */
  double val_fraction;
  int threads;        /* threads splitting each batch's work */
  int read_ahead;     /* batches of spectrograms a reader thread keeps ready */
  train_opts_t train;
} cnn_opts_t;

/* Layers of a preset; -1 for an unknown name. */
int cnn_layers(const char *arch, layer_spec_t *spec);

/* Training options of a preset (then overridden by the command line). */
int cnn_preset(const char *arch, cnn_opts_t *o);

/* Trains on rows train[] (validating on val[]): fits the band scaler on those
 * rows, builds the network (from o->init's convolutional layers when given),
 * trains. log[o->train.epochs]. 0, or -1 with a reason. */
int cnn_fit(const mel_dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const cnn_opts_t *o, model_t *m, epoch_log_t *log, int *epochs_run, char *err, size_t errlen);

/* Probabilities of rows idx[] (standardised with the model's scaler, no
 * augmentation), read_ahead batches read ahead. probs[n_idx][K]. 0, or -1
 * with the reason (a row that cannot be read, out of memory). */
int cnn_predict(model_t *m, const mel_dataset_t *d, const size_t *idx, size_t n_idx, int read_ahead, real *probs,
                char *err, size_t errlen);

#define CNN_READ_AHEAD 4 /* the default of --read-ahead */

/* B spectrograms x[B][bands][frames] (dB) standardised in place with the
 * model's band scaler, as cnn_predict does before the network. */
void cnn_standardise(const model_t *m, real *x, int B);
/* The layer after the convolutional stack (the first flatten or global pooling). */
int cnn_head_start(const layer_spec_t *spec, int n_layers);

#endif
