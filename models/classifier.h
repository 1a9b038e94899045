/* Trained models applied to one recording: the features genre extract
 * computes (a row per 3-s segment and one for the whole recording, and the
 * segments' log-mel spectrograms) in, class probabilities out. Several models
 * are an ensemble: the mean of their probabilities, as experiment's ensemble.
 * Each model sees the unit it was trained on: segment models (the CNN, an ANN
 * on features_3_sec.csv) every segment, track models (an ANN on
 * features_30_sec.csv, Kaggle's 57 columns included) the whole recording. */
#ifndef GENRE_CLASSIFIER_H
#define GENRE_CLASSIFIER_H

#include <stddef.h>

#include "model.h"

#define CLASSIFIER_MAX_MODELS 16

typedef struct classifier {
  int n_models;
  model_t model[CLASSIFIER_MAX_MODELS];
  int *cols[CLASSIFIER_MAX_MODELS];     /* ANN: its feature f is column cols[f] of a feature row */
  int *class_of[CLASSIFIER_MAX_MODELS]; /* a model's class k is the classifier's class class_of[k] */
  int K;
  size_t row_len;                       /* values per feature row: FEATURE_COUNT (extract's), or
                                           the model's own (classifier_open_own) */
  char **labels;                        /* [K]: the first model's */
  int segment_models, track_models, mel_models;
  real *batch, *probs, *whole;          /* scratch: a batch of inputs, its probabilities, a track's */
  size_t batch_cap, probs_cap;
  double *sums; /* [n_models][K]: each segment model's probabilities summed over the recording (classifier_begin) */
} classifier_t;

/* Loads the model files (ANN or CNN, any mix with the same labels; an ONNX
 * graph is one or several models, its classes named by its card or by
 * `labels`, "L1,L2,..." or NULL: model_onnx.h); a CNN's batch work is split across `threads`. A version-1 ANN file, which does not
 * record its unit, is taken as a segment model (unit MODEL_UNIT_UNKNOWN in
 * c->model[i].unit tells the caller). 0, or -1 with the reason. */
int classifier_load(classifier_t *c, char *const *paths, int n_paths, const char *labels, int threads, char *err,
                    size_t errlen);
void classifier_free(classifier_t *c);
/* One model file whose feature rows come in the model's own column order
 * (model->feature_names, any columns, not only extract's): row_len is its
 * feature count (every feature model of the file must read the same ones).
 * 0, or -1 with the reason. */
int classifier_open_own(classifier_t *c, const char *path, const char *labels, int threads, char *err, size_t errlen);
/* Model i's own probabilities for n inputs (rows or mel as classifier_segments
 * takes them, whatever unit it was trained on) into out[n][K]. 0, or -1. */
int classifier_model_probs(classifier_t *c, int i, const double *rows, const float *mel, size_t n, real *out);
/* --no-calibrate: every model's raw softmax (their temperatures set aside). */
void classifier_uncalibrated(classifier_t *c);
/* A new recording: its segments' sums start from zero (classifier_run does it). */
void classifier_begin(classifier_t *c);

/* rows[1 + segments][FEATURE_COUNT]: row 0 the whole recording, row 1 + s
 * segment s; mel[segments][MEL_BANDS][SEGMENT_FRAMES] (dB). Writes seg[segments][K]
 * (mean over the segment models; untouched when there are none) and
 * track[K]: the mean over all models of each one's probabilities for the
 * recording (a segment model's: the mean over its segments, with the
 * model's track temperature when it has one: temperature.h). segments must be
 * >= 1 when there are segment models. 0, or -1 when out of memory. */
int classifier_run(classifier_t *c, const double *rows, const float *mel, size_t segments, real *seg, double *track);

/* The two halves of classifier_run, for recordings analysed as they stream:
 * seg[n][K] for n segments' rows[n][FEATURE_COUNT] and mel[n][...] (the
 * segment models' mean; nothing when there are none); then track[K] from the
 * whole-recording row and all the segments' probabilities (the segments
 * classified since classifier_begin). 0, or -1. */
int classifier_segments(classifier_t *c, const double *rows, const float *mel, size_t n, real *seg);
int classifier_track(classifier_t *c, const double *whole, const real *seg, size_t segments, double *track);

/* Embeddings (model 0's activations): the layer whose output is taken,
 * `layer` (0-based) or, for -1, the layer before the classifier (whose output
 * the last dense layer takes); -1 when there is none. A layer's output is
 * what the next layer sees (after an in-place ReLU or dropout). */
int classifier_embed_layer(const classifier_t *c, int layer);
/* Values per input: the layer's output size times the members (side by side). */
size_t classifier_embed_dim(const classifier_t *c, int layer);
/* out[n][dim] for n inputs (rows, mel as classifier_segments takes them). 0. */
int classifier_embed(classifier_t *c, int layer, const double *rows, const float *mel, size_t n, real *out);

/* Index of the largest of p[K]. */
int classifier_argmax(const double *p, int K);

#endif
