#include "ann.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scaler.h"

/* The names model files and scripts written before the presets had names still use. */
static const char *const old_names[][2] = {{"seed", "keras-mlp"}, {"seed004", "keras-conv1d"}};

int ann_preset(const char *name, ann_opts_t *o) {
  for (size_t i = 0; i < sizeof old_names / sizeof *old_names; i++)
    if (strcmp(name, old_names[i][0]) == 0) name = old_names[i][1];
  memset(o, 0, sizeof *o);
  o->train.adam = ADAM_DEFAULTS;
  o->train.seed = 1;
  o->members = 1;
  if (strcmp(name, "keras-mlp") == 0) {
    int h[] = {512, 256, 128};
    memcpy(o->hidden, h, sizeof h), o->n_hidden = 3;
    o->dropout = 0.2f;
    o->train.batch = 32, o->train.epochs = 100, o->train.patience = 10;
    o->val_fraction = 0.1;
  } else if (strcmp(name, "keras-conv1d") == 0) { /* a Keras 1-D CNN over the feature vector */
    o->conv1d = 1;
    o->hidden[0] = 128, o->n_hidden = 1;
    o->dropout = 0.3f;
    o->train.batch = 32, o->train.epochs = 100, o->train.patience = 10;
    o->val_fraction = 0.1;
  } else if (strcmp(name, "default") == 0) {
    o->hidden[0] = 256, o->n_hidden = 1;
    o->dropout = 0.5f;
    o->members = 2;
    o->train.batch = 128, o->train.epochs = 200;
    o->train.adam.lr = 3e-3;
    o->train.cosine = 1;
    o->train.label_smoothing = 0.1f;
    o->train.mixup = 0.2f;
    o->val_fraction = 0.0;
  } else {
    return -1;
  }
  snprintf(o->arch, sizeof o->arch, "%s", name);
  return 0;
}

int ann_layers(const ann_opts_t *o, layer_spec_t *spec) {
  int n = 0;
  if (o->conv1d) { /* the features as a 1-channel sequence: [1][1][F] */
    layer_spec_t front[] = {CONV1D(64, 3), RELU, MAXPOOL1D(2), CONV1D(128, 3), RELU, MAXPOOL1D(2), FLATTEN};
    memcpy(spec, front, sizeof front);
    n = (int)(sizeof front / sizeof *front);
  }
  for (int i = 0; i < o->n_hidden; i++) {
    spec[n++] = DENSE(o->hidden[i]);
    if (o->batchnorm) spec[n++] = BATCHNORM;
    spec[n++] = RELU;
    if (o->dropout > 0) spec[n++] = DROPOUT(o->dropout);
  }
  spec[n++] = DENSE_CLASSES;
  return n;
}

/* Segment rows (<stem>.<k>.wav, as features_3_sec.csv names them) or whole tracks. */
int dataset_unit(const dataset_t *d) {
  char track[4200];
  for (size_t i = 0; i < d->n_rows; i++) {
    track_of(d->names[i], track, sizeof track);
    if (strcmp(track, d->names[i]) != 0) return MODEL_UNIT_SEGMENT;
  }
  return MODEL_UNIT_TRACK;
}

int ann_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const ann_opts_t *o, model_t *m, epoch_log_t *log, int *epochs_run, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  size_t F = d->n_features, n_fit = n_train + n_val;
  m->kind = MODEL_ANN;
  snprintf(m->arch, sizeof m->arch, "%s", o->arch);
  m->unit = dataset_unit(d);
  m->in_c = o->conv1d ? 1 : (int)F, m->in_h = 1, m->in_w = o->conv1d ? (int)F : 1, m->n_classes = d->n_classes;
  m->n_layers = ann_layers(o, m->spec);
  m->n_features = m->n_scale = F;
  m->labels = strings_copy(d->labels, (size_t)d->n_classes);
  m->feature_names = strings_copy(d->feature_names, F);
  m->shift = malloc(F * sizeof(float)), m->scale = malloc(F * sizeof(float));
  size_t *fit = malloc(n_fit * sizeof *fit);
  real *x = malloc(d->n_rows * F * sizeof(real));
  if (!m->labels || !m->feature_names || !m->shift || !m->scale || !fit || !x) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  memcpy(fit, train, n_train * sizeof *fit);
  if (n_val) memcpy(fit + n_train, val, n_val * sizeof *fit); /* val may be NULL when empty */
  scaler_fit(d->x, F, fit, n_fit, m->shift, m->scale); /* never the test rows */
  memcpy(x, d->x, d->n_rows * F * sizeof(real));
  scaler_apply(x, d->n_rows, F, m->shift, m->scale);
  m->net = net_new(m->spec, m->n_layers, m->in_c, m->in_h, m->in_w, m->n_classes, o->train.batch > 256 ? o->train.batch : 256,
                   err, errlen);
  if (!m->net) goto fail;
  int members = o->members > 0 ? o->members : 1;
  size_t per = m->net->n_params + m->net->n_state;
  m->n_members = members;
  m->members = members > 1 ? malloc((size_t)members * per * sizeof(real)) : NULL;
  epoch_log_t *mlog = calloc((size_t)o->train.epochs, sizeof *mlog);
  if ((members > 1 && !m->members) || !mlog) {
    free(mlog);
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  memset(log, 0, (size_t)o->train.epochs * sizeof *log);
  int most = 0;
  for (int k = 0; k < members; k++) {
    train_opts_t t = o->train;
    t.seed = o->train.seed + 7919ul * (unsigned long)k;
    net_init(m->net, t.seed);
    row_source_t src = rows_in_memory(x, d->y, F);
    int e = net_train(m->net, &src, train, n_train, val, n_val, &t, mlog, NULL);
    if (e < 0) {
      free(mlog);
      snprintf(err, errlen, "out of memory while training");
      goto fail;
    }
    for (int i = 0; i < e; i++) { /* the log is the members' mean */
      log[i].train_loss += mlog[i].train_loss / members, log[i].train_acc += mlog[i].train_acc / members;
      log[i].val_loss += mlog[i].val_loss / members, log[i].val_acc += mlog[i].val_acc / members;
      log[i].test_loss += mlog[i].test_loss / members, log[i].test_acc += mlog[i].test_acc / members;
      log[i].seconds += mlog[i].seconds;
    }
    if (e > most) most = e;
    if (m->members) {
      memcpy(m->members + (size_t)k * per, m->net->params, m->net->n_params * sizeof(real));
      memcpy(m->members + (size_t)k * per + m->net->n_params, m->net->state, m->net->n_state * sizeof(real));
    }
  }
  free(mlog);
  if (epochs_run) *epochs_run = most;
  free(fit), free(x);
  return 0;
fail:
  free(fit), free(x);
  model_free(m);
  return -1;
}

int ann_predict(model_t *m, const dataset_t *d, const size_t *idx, size_t n_idx, real *probs) {
  size_t F = m->n_features;
  int B = m->net ? m->net->max_batch : 4096; /* a classical kind on feature rows too (XGBoost: one matrix per batch) */
  real *batch = malloc((size_t)B * F * sizeof(real));
  if (!batch) return -1;
  for (size_t start = 0; start < n_idx; start += (size_t)B) {
    int b = (int)(n_idx - start < (size_t)B ? n_idx - start : (size_t)B);
    for (int i = 0; i < b; i++) memcpy(batch + (size_t)i * F, d->x + idx[start + i] * F, F * sizeof(real));
    scaler_apply(batch, (size_t)b, F, m->shift, m->scale);
    if (model_predict(m, batch, b, probs + start * m->n_classes)) {
      free(batch);
      return -1;
    }
  }
  free(batch);
  return 0;
}
