#include "cnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "loader.h"

/* keras-5block (old name seed000): five blocks [conv 3x3 + ReLU + max-pool 2 + dropout 0.2], flatten,
 * dense 64, dense N. Filters: 16, 32, 64, 128, 256 (doubling per block). */
static const layer_spec_t keras_5block[] = {
    CONV(16, 3, 1),  RELU, MAXPOOL(2), DROPOUT(0.2f), CONV(32, 3, 1),  RELU, MAXPOOL(2), DROPOUT(0.2f),
    CONV(64, 3, 1),  RELU, MAXPOOL(2), DROPOUT(0.2f), CONV(128, 3, 1), RELU, MAXPOOL(2), DROPOUT(0.2f),
    CONV(256, 3, 1), RELU, MAXPOOL(2), DROPOUT(0.2f), FLATTEN,         DENSE(64), RELU, DENSE_CLASSES};

/* keras-2conv (old name seed002): conv 32 -> pool -> conv 64 -> pool -> flatten -> dense 128 -> N,
 * with unpadded convolutions as its 7.4 M weights imply (7.6 M at 130 frames). */
static const layer_spec_t keras_2conv[] = {CONV_VALID(32, 3), RELU, MAXPOOL(2), CONV_VALID(64, 3), RELU, MAXPOOL(2),
                                       FLATTEN,          DENSE(128), RELU, DENSE_CLASSES};

/* ours: batch norm, filters doubling from 8 as resolution halves, global
 * average pooling instead of a large dense layer: 99 k weights, 20 M
 * multiply-adds per spectrogram. */
static const layer_spec_t ours[] = {
    CONV(8, 3, 1),  BATCHNORM, RELU, MAXPOOL(2), CONV(16, 3, 1), BATCHNORM, RELU, MAXPOOL(2),
    CONV(32, 3, 1), BATCHNORM, RELU, MAXPOOL(2), CONV(64, 3, 1), BATCHNORM, RELU, MAXPOOL(2),
    CONV(128, 3, 1), BATCHNORM, RELU, AVGPOOL,   DROPOUT(0.3f),  DENSE_CLASSES};

#define COUNT(a) ((int)(sizeof a / sizeof *a))

/* The names model files and scripts written before the presets had names still use. */
static const char *canonical(const char *arch) {
  static const char *const old_names[][2] = {{"seed000", "keras-5block"}, {"seed002", "keras-2conv"}};
  for (size_t i = 0; i < sizeof old_names / sizeof *old_names; i++)
    if (strcmp(arch, old_names[i][0]) == 0) return old_names[i][1];
  return arch;
}

int cnn_layers(const char *arch, layer_spec_t *spec) {
  const layer_spec_t *t;
  int n;
  arch = canonical(arch);
  if (strcmp(arch, "keras-5block") == 0) t = keras_5block, n = COUNT(keras_5block);
  else if (strcmp(arch, "keras-2conv") == 0) t = keras_2conv, n = COUNT(keras_2conv);
  else if (strcmp(arch, "default") == 0) t = ours, n = COUNT(ours);
  else return -1;
  memcpy(spec, t, (size_t)n * sizeof *spec);
  return n;
}

int cnn_preset(const char *arch, cnn_opts_t *o) {
  memset(o, 0, sizeof *o);
  layer_spec_t spec[NET_MAX_LAYERS];
  if (cnn_layers(arch, spec) < 0) return -1;
  snprintf(o->arch, sizeof o->arch, "%s", canonical(arch));
  o->train.adam = ADAM_DEFAULTS; /* the Keras projects': Adam 1e-3, batch 32 */
  o->train.batch = 32;
  o->train.seed = 1;
  o->read_ahead = CNN_READ_AHEAD;
  o->train.epochs = 30;
  o->train.patience = 6;
  o->val_fraction = 0.1;
  if (strcmp(arch, "default") == 0) {
    o->train.adam.lr = 3e-3; /* batch norm takes a larger step */
    o->train.cosine = 1;
    o->train.patience = 0; /* a cosine schedule ends where it should */
    o->train.epochs = 24;
    o->val_fraction = 0.0;
    o->augment = AUG_LOUDNESS | AUG_FREQMASK | AUG_TIMEMASK;
  }
  return 0;
}

int cnn_head_start(const layer_spec_t *spec, int n_layers) {
  for (int i = 0; i < n_layers; i++)
    if (spec[i].kind == LAYER_FLATTEN || spec[i].kind == LAYER_AVGPOOL || spec[i].kind == LAYER_DENSE) return i;
  return n_layers;
}

/* per-batch work: augmentation in dB, per-band standardisation, masks */
typedef struct prep {
  const float *shift, *scale; /* [bands] */
  int bands, frames;
  mel_augment_t aug;
} prep_t;

static void prepare(void *ctx, real *x, int B, int training, void *r, const unsigned char *skipped) {
  prep_t *p = ctx;
  size_t n = (size_t)p->bands * p->frames;
  for (int i = 0; i < B; i++) {
    real *s = x + (size_t)i * n;
    if (skipped && skipped[i]) { /* another process's row: its draws only */
      if (training && p->aug.flags) mel_augment_db(&p->aug, NULL, r), mel_augment_masks(&p->aug, NULL, r);
      continue;
    }
    if (training && p->aug.flags) mel_augment_db(&p->aug, s, r);
    for (int b = 0; b < p->bands; b++) {
      real sh = p->shift[b], inv = 1 / (real)p->scale[b], *row = s + (size_t)b * p->frames;
      for (int t = 0; t < p->frames; t++) row[t] = (row[t] - sh) * inv;
    }
    if (training && p->aug.flags) mel_augment_masks(&p->aug, s, r);
  }
}

/* Mean and population std of every band over the frames of rows idx[], in
 * one pass over the data: the sums in the order of a band-by-band pass (the
 * mean is the same to the bit), the squared deviations pooled row by row with
 * Chan et al.'s formula (the same to ~1e-15 relative before the cast to
 * float). 0, or -1 with the reason. */
static int fit_bands(const row_source_t *src, int bands, int frames, const size_t *idx, size_t n, float *shift,
                     float *scale, char *err, size_t errlen) {
  int B = bands, T = frames, b;
  double *sum = calloc((size_t)B * 3, sizeof(double)), *mean = sum + B, *m2 = sum + 2 * B;
  loader_t *l = sum ? loader_new(src, 32) : NULL;
  if (!l) {
    free(sum);
    return snprintf(err, errlen, "out of memory"), -1;
  }
  size_t rows = 0;
  loader_start(l, idx, n, 32, LOADER_ALL);
  for (const real *x; (x = loader_next(l, &b, NULL));)
    for (int i = 0; i < b; i++, rows++)
      for (int k = 0; k < B; k++) {
        const real *row = x + (size_t)i * B * T + (size_t)k * T;
        double s = 0, q = 0;
        for (int t = 0; t < T; t++) sum[k] += row[t], s += row[t];
        double m = s / T, delta = m - mean[k], before = (double)rows * T, after = before + T;
        for (int t = 0; t < T; t++) q += (row[t] - m) * (row[t] - m);
        mean[k] += delta * T / after;
        m2[k] += q + delta * delta * before * T / after;
      }
  int rc = rows == n ? 0 : (snprintf(err, errlen, "%s", loader_error(l)), -1);
  for (int k = 0; k < B && rc == 0; k++) {
    double sd = sqrt(m2[k] / ((double)n * T));
    shift[k] = (float)(sum[k] / ((double)n * T));
    scale[k] = sd > 1e-6 ? (float)sd : 1.0f;
  }
  loader_free(l);
  free(sum);
  return rc;
}

/* Copies the convolutional stack (layers before the head) from `init` where
 * kinds and sizes agree. Returns the number of layers copied, -1 on a mismatch. */
static int copy_conv_stack(model_t *m, const model_t *init, char *err, size_t errlen) {
  int head = cnn_head_start(m->spec, m->n_layers);
  if (init->in_c != m->in_c || init->in_h != m->in_h || init->in_w != m->in_w) {
    snprintf(err, errlen, "--init model takes input %dx%dx%d, not %dx%dx%d", init->in_c, init->in_h, init->in_w, m->in_c,
             m->in_h, m->in_w);
    return -1;
  }
  if (cnn_head_start(init->spec, init->n_layers) != head) {
    snprintf(err, errlen, "--init model's convolutional stack has %d layers, this architecture %d",
             cnn_head_start(init->spec, init->n_layers), head);
    return -1;
  }
  for (int i = 0; i < head; i++) {
    const layer_t *src = &init->net->layer[i];
    layer_t *dst = &m->net->layer[i];
    if (src->spec.kind != dst->spec.kind || src->nw != dst->nw || src->nb != dst->nb) {
      snprintf(err, errlen, "--init model's layer %d (%s) does not match this architecture's", i + 1,
               layer_kind_name(src->spec.kind));
      return -1;
    }
    memcpy(dst->weight, src->weight, dst->nw * sizeof(real));
    memcpy(dst->bias, src->bias, dst->nb * sizeof(real));
    if (dst->run_mean) {
      memcpy(dst->run_mean, src->run_mean, (size_t)dst->c * sizeof(real));
      memcpy(dst->run_var, src->run_var, (size_t)dst->c * sizeof(real));
    }
  }
  return head;
}

/* --init: the convolutional stack of o->init (loaded into *init), frozen
 * with --freeze conv. 0, or -1 with the reason. */
static int start_from(model_t *m, const cnn_opts_t *o, model_t *init, char *err, size_t errlen) {
  char why[600];
  if (model_load(o->init, 1, init, why, sizeof why)) return snprintf(err, errlen, "--init: %s", why), -1;
  if (init->kind != MODEL_CNN) return snprintf(err, errlen, "--init: %s is not a CNN model", o->init), -1;
  int copied = copy_conv_stack(m, init, err, errlen);
  if (copied < 0) return -1;
  if (o->freeze_conv) m->net->frozen = copied;
  return 0;
}

int cnn_fit(const mel_dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const cnn_opts_t *o, model_t *m, epoch_log_t *log, int *epochs_run, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  m->kind = MODEL_CNN;
  snprintf(m->arch, sizeof m->arch, "%s", o->arch);
  m->unit = MODEL_UNIT_SEGMENT;
  m->in_c = 1, m->in_h = d->bands, m->in_w = d->frames, m->n_classes = d->n_classes;
  m->n_layers = cnn_layers(o->arch, m->spec);
  if (m->n_layers < 0) {
    snprintf(err, errlen, "unknown architecture '%s' (default, keras-5block, keras-2conv)", o->arch);
    return -1;
  }
  m->n_scale = (size_t)d->bands;
  m->labels = strings_copy(d->labels, (size_t)d->n_classes);
  m->shift = malloc(m->n_scale * sizeof(float)), m->scale = malloc(m->n_scale * sizeof(float));
  size_t *fit = malloc((n_train + n_val) * sizeof *fit);
  prep_t prep = {0};
  model_t init = {0};
  int rc = -1;
  if (!m->labels || !m->shift || !m->scale || !fit) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  memcpy(fit, train, n_train * sizeof *fit);
  if (n_val) memcpy(fit + n_train, val, n_val * sizeof *fit); /* val may be NULL when empty */
  row_source_t src = mel_dataset_source(d, o->read_ahead);
  if (fit_bands(&src, d->bands, d->frames, fit, n_train + n_val, m->shift, m->scale, err, errlen)) /* never the test rows */
    goto out;
  m->net = net_new(m->spec, m->n_layers, 1, d->bands, d->frames, m->n_classes, o->train.batch, err, errlen);
  if (!m->net) goto out;
  if (o->threads > 1 && net_set_threads(m->net, o->threads)) {
    snprintf(err, errlen, "out of memory for %d threads", o->threads);
    goto out;
  }
  net_init(m->net, o->train.seed);
  if (o->init[0] && start_from(m, o, &init, err, errlen)) goto out;
  prep.shift = m->shift, prep.scale = m->scale, prep.bands = d->bands, prep.frames = d->frames;
  if (mel_augment_init(&prep.aug, o->augment, d->bands, d->frames, 22050, 2048)) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  train_opts_t t = o->train;
  t.prepare = prepare, t.prepare_ctx = &prep;
  t.err = err, t.errlen = errlen;
  int e = net_train(m->net, &src, train, n_train, val, n_val, &t, log, NULL);
  if (e < 0) {
    if (e == -1) snprintf(err, errlen, "out of memory while training");
    goto out;
  }
  if (epochs_run) *epochs_run = e;
  m->net->frozen = 0; /* the saved model is a plain network */
  m->n_members = 1;      /* its parameters are the network's own */
  rc = 0;
out:
  free(fit);
  mel_augment_free(&prep.aug);
  if (init.net || init.labels) model_free(&init);
  if (rc) model_free(m);
  return rc;
}

void cnn_standardise(const model_t *m, real *x, int B) {
  prep_t prep = {.shift = m->shift, .scale = m->scale, .bands = m->in_h, .frames = m->in_w};
  prepare(&prep, x, B, 0, NULL, NULL);
}

int cnn_predict(model_t *m, const mel_dataset_t *d, const size_t *idx, size_t n_idx, int read_ahead, real *probs,
                char *err, size_t errlen) {
  row_source_t src = mel_dataset_source(d, read_ahead);
  prep_t prep = {.shift = m->shift, .scale = m->scale, .bands = d->bands, .frames = d->frames};
  loader_t *l = loader_new(&src, m->net->max_batch);
  if (!l) return snprintf(err, errlen, "out of memory"), -1;
  size_t start = 0;
  int b, rc = 0;
  loader_start(l, idx, n_idx, m->net->max_batch, LOADER_ALL);
  for (real *batch; rc == 0 && (batch = loader_next(l, &b, NULL)); start += (size_t)b) {
    prepare(&prep, batch, b, 0, NULL, NULL);
    if ((rc = model_predict(m, batch, b, probs + start * m->n_classes))) snprintf(err, errlen, "out of memory");
  }
  if (rc == 0 && start != n_idx) rc = -1, snprintf(err, errlen, "%s", loader_error(l));
  loader_free(l);
  return rc;
}
