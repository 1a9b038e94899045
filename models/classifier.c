#include "classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn.h"
#include "model_onnx.h"
#include "scaler.h"
#include "schema.h"
#include "temperature.h"

#define BATCH 64 /* segments per network call */

void classifier_free(classifier_t *c) {
  for (int i = 0; i < c->n_models; i++) {
    model_free(&c->model[i]);
    free(c->cols[i]), free(c->class_of[i]);
  }
  free(c->batch), free(c->probs), free(c->whole), free(c->sums);
  memset(c, 0, sizeof *c);
}

static int feature_column(const char *name) {
  for (int f = 0; f < FEATURE_COUNT; f++)
    if (strcmp(feature_name(f), name) == 0) return f;
  return -1;
}

/* Model i's feature f read from column f of rows of c->row_len values (classifier_open_own). */
static int own_columns(classifier_t *c, int i, const char *path, char *err, size_t errlen) {
  model_t *m = &c->model[i];
  if (c->row_len && c->row_len != m->n_features)
    return snprintf(err, errlen, "%s: its models read different feature columns", path), -1;
  c->row_len = m->n_features;
  for (size_t f = 0; f < m->n_features; f++) c->cols[i][f] = (int)f;
  return 0;
}

/* Model i's feature columns and classes mapped onto the classifier's. */
static int map_model(classifier_t *c, int i, const char *path, int own, char *err, size_t errlen) {
  model_t *m = &c->model[i];
  c->class_of[i] = malloc((size_t)m->n_classes * sizeof(int));
  if (!c->class_of[i]) return snprintf(err, errlen, "out of memory"), -1;
  if (m->n_classes != c->K) goto labels;
  for (int k = 0; k < m->n_classes; k++) {
    c->class_of[i][k] = -1;
    for (int j = 0; j < c->K; j++)
      if (strcmp(m->labels[k], c->labels[j]) == 0) c->class_of[i][k] = j;
    if (c->class_of[i][k] < 0) goto labels;
  }
  if (m->kind == MODEL_CNN) {
    if (m->in_c != 1 || m->in_h != MEL_BANDS || m->in_w != SEGMENT_FRAMES)
      return snprintf(err, errlen, "%s: takes %dx%d inputs, not the %dx%d log-mels of a 3-s segment", path, m->in_h,
                      m->in_w, MEL_BANDS, SEGMENT_FRAMES), -1;
    return 0;
  }
  c->cols[i] = malloc(m->n_features * sizeof(int));
  if (!c->cols[i]) return snprintf(err, errlen, "out of memory"), -1;
  if (own) return own_columns(c, i, path, err, errlen);
  for (size_t f = 0; f < m->n_features; f++)
    if ((c->cols[i][f] = feature_column(m->feature_names[f])) < 0)
      return snprintf(err, errlen, "%s: uses the feature column '%s', which genre extract does not compute", path,
                      m->feature_names[f]), -1;
  return 0;
labels:
  snprintf(err, errlen, "%s: its %d labels are not those of %s (%d labels): an ensemble needs the same classes", path,
           m->n_classes, "the first model", c->K);
  return -1;
}

/* Model i (of file path): mapped, threaded, counted. 0, or -1 with the reason. */
static int add_model(classifier_t *c, int i, const char *path, int threads, int own, char *err, size_t errlen) {
  model_t *m = &c->model[i];
  if (i == 0) c->K = m->n_classes, c->labels = m->labels;
  if (map_model(c, i, path, own, err, errlen)) return -1;
  if (m->kind == MODEL_CNN && threads > 1) net_set_threads(m->net, threads);
  int segment = m->unit != MODEL_UNIT_TRACK;
  c->segment_models += segment, c->track_models += !segment, c->mel_models += m->kind == MODEL_CNN;
  return 0;
}

/* classifier_load, with feature rows in the models' own order when own is set. */
static int load(classifier_t *c, char *const *paths, int n_paths, const char *labels, int threads, int own, char *err,
                size_t errlen) {
  memset(c, 0, sizeof *c);
  c->row_len = own ? 0 : FEATURE_COUNT;
  if (n_paths < 1 || n_paths > CLASSIFIER_MAX_MODELS)
    return snprintf(err, errlen, "from 1 to %d models, not %d", CLASSIFIER_MAX_MODELS, n_paths), -1;
  size_t in_max = 1;
  for (int p = 0; p < n_paths; p++) {
    int got, first = c->n_models;
    if (model_open(paths[p], labels, BATCH, &c->model[first], CLASSIFIER_MAX_MODELS - first, &got, err, errlen))
      return classifier_free(c), -1;
    c->n_models += got;
    for (int i = first; i < c->n_models; i++) {
      model_t *m = &c->model[i];
      if (add_model(c, i, paths[p], threads, own, err, errlen)) return classifier_free(c), -1;
      size_t in = (size_t)m->in_c * m->in_h * m->in_w;
      if (in > in_max) in_max = in;
    }
  }
  c->batch_cap = BATCH * in_max;
  c->probs_cap = BATCH * (size_t)c->K;
  c->batch = malloc(c->batch_cap * sizeof(real));
  c->probs = malloc(c->probs_cap * sizeof(real));
  c->whole = malloc((size_t)c->K * sizeof(real));
  c->sums = calloc((size_t)c->n_models * c->K, sizeof *c->sums);
  if (!c->batch || !c->probs || !c->whole || !c->sums)
    return classifier_free(c), snprintf(err, errlen, "out of memory"), -1;
  return 0;
}

int classifier_load(classifier_t *c, char *const *paths, int n_paths, const char *labels, int threads, char *err,
                    size_t errlen) {
  return load(c, paths, n_paths, labels, threads, 0, err, errlen);
}

int classifier_open_own(classifier_t *c, const char *path, const char *labels, int threads, char *err, size_t errlen) {
  char *paths[] = {(char *)path};
  return load(c, paths, 1, labels, threads, 1, err, errlen);
}

/* Inputs [start, start + b) of model i, as it takes them, into c->batch. */
static void prepare_batch(classifier_t *c, int i, const double *rows, const float *mel, size_t start, int b) {
  model_t *m = &c->model[i];
  size_t in = (size_t)m->in_c * m->in_h * m->in_w;
  for (int s = 0; s < b; s++) {
    real *x = c->batch + (size_t)s * in;
    size_t row = start + (size_t)s;
    if (m->kind == MODEL_CNN)
      for (size_t v = 0; v < in; v++) x[v] = mel[row * in + v];
    else
      for (size_t f = 0; f < in; f++) x[f] = (real)rows[row * c->row_len + (size_t)c->cols[i][f]];
  }
  if (m->kind == MODEL_CNN) cnn_standardise(m, c->batch, b);
  else scaler_apply(c->batch, (size_t)b, in, m->shift, m->scale);
}

static int batch_of(const model_t *m) { return m->net && m->net->max_batch < BATCH ? m->net->max_batch : BATCH; }

/* Model i on n inputs (feature rows, or spectrograms); its probabilities, in
 * the classifier's class order, added to out[n][K] (and to sum[K]). */
static int run_model(classifier_t *c, int i, const double *rows, const float *mel, size_t n, real *out, double *sum) {
  model_t *m = &c->model[i];
  int K = c->K, B = batch_of(m);
  for (size_t start = 0; start < n; start += (size_t)B) {
    int b = (int)(n - start < (size_t)B ? n - start : (size_t)B);
    prepare_batch(c, i, rows, mel, start, b);
    if (model_predict(m, c->batch, b, c->probs)) return -1;
    for (int s = 0; s < b; s++)
      for (int k = 0; k < K; k++) {
        out[(start + (size_t)s) * K + (size_t)c->class_of[i][k]] += c->probs[(size_t)s * K + k];
        if (sum) sum[c->class_of[i][k]] += c->probs[(size_t)s * K + k];
      }
  }
  return 0;
}

int classifier_model_probs(classifier_t *c, int i, const double *rows, const float *mel, size_t n, real *out) {
  memset(out, 0, n * (size_t)c->K * sizeof(real));
  return run_model(c, i, rows, mel, n, out, NULL);
}

int classifier_segments(classifier_t *c, const double *rows, const float *mel, size_t n, real *seg) {
  if (!c->segment_models) return 0;
  memset(seg, 0, n * (size_t)c->K * sizeof(real));
  for (int i = 0; i < c->n_models; i++)
    if (c->model[i].unit != MODEL_UNIT_TRACK && run_model(c, i, rows, mel, n, seg, c->sums + (size_t)i * c->K)) return -1;
  /* the ensemble of segment models per segment, as experiment's: their mean */
  for (size_t v = 0; c->segment_models > 1 && v < n * (size_t)c->K; v++) seg[v] /= (real)c->segment_models;
  return 0;
}

int classifier_track(classifier_t *c, const double *whole, const real *seg, size_t segments, double *track) {
  int K = c->K;
  for (int k = 0; k < K; k++) track[k] = 0;
  for (int i = 0; i < c->n_models; i++) {
    if (c->model[i].unit != MODEL_UNIT_TRACK) continue;
    memset(c->whole, 0, (size_t)K * sizeof(real));
    if (run_model(c, i, whole, NULL, 1, c->whole, NULL)) return -1;
    for (int k = 0; k < K; k++) track[k] += c->whole[k];
  }
  int tempered = 0;
  for (int i = 0; i < c->n_models; i++)
    tempered |= c->model[i].unit != MODEL_UNIT_TRACK && c->model[i].track_temperature > 0 && c->model[i].track_temperature != 1;
  for (int i = 0; tempered && i < c->n_models; i++) { /* each segment model's mean, with its track temperature */
    if (c->model[i].unit == MODEL_UNIT_TRACK) continue;
    real q[K];
    for (int k = 0; k < K; k++) q[k] = (real)(c->sums[(size_t)i * K + k] / (double)segments);
    temperature_apply(q, 1, K, c->model[i].track_temperature);
    for (int k = 0; k < K; k++) track[k] += q[k];
  }
  for (int k = 0; k < K && c->segment_models && !tempered; k++) {
    double sum = 0;
    for (size_t s = 0; s < segments; s++) sum += seg[s * K + k];
    track[k] += c->segment_models * (sum / (double)segments);
  }
  for (int k = 0; k < K; k++) track[k] /= c->n_models;
  return 0;
}

int classifier_run(classifier_t *c, const double *rows, const float *mel, size_t segments, real *seg, double *track) {
  classifier_begin(c);
  if (classifier_segments(c, rows + c->row_len, mel, segments, seg)) return -1;
  return classifier_track(c, rows, seg, segments, track);
}

int classifier_argmax(const double *p, int K) {
  int best = 0;
  for (int k = 1; k < K; k++)
    if (p[k] > p[best]) best = k;
  return best;
}

int classifier_embed_layer(const classifier_t *c, int layer) {
  const net_t *n = c->model[0].net;
  if (!n) return -1; /* a classical kind: no layers */
  if (layer >= 0) return layer < n->n_layers ? layer : -1;
  for (int i = n->n_layers - 1; i > 0; i--) {
    if (n->layer[i].spec.kind != LAYER_DENSE) continue;
    int at = i - 1; /* the input of the classifier, named by what made it: dropout is the identity here */
    while (at > 0 && n->layer[at].spec.kind == LAYER_DROPOUT) at--;
    return at;
  }
  return -1;
}

size_t classifier_embed_dim(const classifier_t *c, int layer) {
  const model_t *m = &c->model[0];
  return m->net->layer[layer].out_size * (size_t)m->n_members;
}

int classifier_embed(classifier_t *c, int layer, const double *rows, const float *mel, size_t n, real *out) {
  model_t *m = &c->model[0];
  int B = batch_of(m);
  size_t d = m->net->layer[layer].out_size, dim = d * (size_t)m->n_members;
  for (size_t start = 0; start < n; start += (size_t)B) {
    int b = (int)(n - start < (size_t)B ? n - start : (size_t)B);
    for (int k = 0; k < m->n_members; k++) {
      prepare_batch(c, 0, rows, mel, start, b); /* afresh: the forward pass may work in place */
      model_use_member(m, k);
      net_forward(m->net, c->batch, b, 0);
      const real *o = m->net->layer[layer].out;
      for (int s = 0; s < b; s++) memcpy(out + (start + (size_t)s) * dim + (size_t)k * d, o + (size_t)s * d, d * sizeof(real));
    }
    model_use_member(m, 0);
  }
  return 0;
}

void classifier_uncalibrated(classifier_t *c) {
  for (int i = 0; i < c->n_models; i++) c->model[i].temperature = c->model[i].track_temperature = 0;
}

void classifier_begin(classifier_t *c) { memset(c->sums, 0, (size_t)c->n_models * c->K * sizeof *c->sums); }
