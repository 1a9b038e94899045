#include "knn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ann.h"
#include "classic.h"
#include "scaler.h"

int knn_preset(const char *name, knn_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->k = 5, o->train.seed = 1, o->train.epochs = 1;
  if (strcmp(name, "distance") == 0) o->weights = KNN_DISTANCE;
  else if (strcmp(name, "default") != 0) return -1;
  snprintf(o->arch, sizeof o->arch, "%s", name);
  return 0;
}

/* The model's frame: kind, shape, names, and the scaler fitted on fit[n_fit]. 0, or -1. */
static int frame(const dataset_t *d, const knn_opts_t *o, const size_t *fit, size_t n_fit, model_t *m) {
  size_t F = d->n_features;
  m->kind = MODEL_KNN, m->unit = dataset_unit(d), m->n_members = 1;
  snprintf(m->arch, sizeof m->arch, "%s", o->arch);
  m->in_c = (int)F, m->in_h = m->in_w = 1, m->n_classes = d->n_classes;
  m->n_features = m->n_scale = F;
  m->labels = strings_copy(d->labels, (size_t)d->n_classes);
  m->feature_names = strings_copy(d->feature_names, F);
  m->shift = malloc(F * sizeof(float)), m->scale = malloc(F * sizeof(float));
  if (!m->labels || !m->feature_names || !m->shift || !m->scale) return -1;
  scaler_fit(d->x, F, fit, n_fit, m->shift, m->scale); /* never the test rows */
  return 0;
}

int knn_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const knn_opts_t *o, model_t *m, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  size_t F = d->n_features, n_fit = n_train + n_val;
  size_t *fit = malloc((n_fit ? n_fit : 1) * sizeof *fit), *seq = malloc((n_train ? n_train : 1) * sizeof *seq);
  real *x = malloc((n_train ? n_train : 1) * F * sizeof(real));
  int *y = malloc((n_train ? n_train : 1) * sizeof *y);
  int rc = fit && seq && x && y ? 0 : -1;
  if (!rc) {
    memcpy(fit, train, n_train * sizeof *fit);
    if (n_val) memcpy(fit + n_train, val, n_val * sizeof *fit);
    rc = frame(d, o, fit, n_fit, m);
  }
  if (rc) snprintf(err, errlen, "out of memory");
  for (size_t i = 0; !rc && i < n_train; i++) {
    memcpy(x + i * F, d->x + train[i] * F, F * sizeof(real));
    y[i] = d->y[train[i]], seq[i] = i;
  }
  if (!rc) scaler_apply(x, n_train, F, m->shift, m->scale);
  if (!rc && !(m->classic = knn_store(x, y, seq, n_train, F, o->k, o->weights, err, errlen))) rc = -1;
  free(fit), free(seq), free(x), free(y);
  if (rc) model_free(m);
  return rc;
}
