#include "classical.h"

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
static int frame(const dataset_t *d, int kind, const char *arch, const size_t *fit, size_t n_fit, model_t *m) {
  size_t F = d->n_features;
  m->kind = kind, m->unit = dataset_unit(d), m->n_members = 1;
  snprintf(m->arch, sizeof m->arch, "%s", arch);
  m->in_c = (int)F, m->in_h = m->in_w = 1, m->n_classes = d->n_classes;
  m->n_features = m->n_scale = F;
  m->labels = strings_copy(d->labels, (size_t)d->n_classes);
  m->feature_names = strings_copy(d->feature_names, F);
  m->shift = malloc(F * sizeof(float)), m->scale = malloc(F * sizeof(float));
  if (!m->labels || !m->feature_names || !m->shift || !m->scale) return -1;
  scaler_fit(d->x, F, fit, n_fit, m->shift, m->scale); /* never the test rows */
  return 0;
}

/* The training rows standardised by the model's scaler (fitted on train and
 * val), handed to store(). 0, or -1 with the reason (m freed). */
typedef classic_t *(*store_fn)(const real *x, const int *y, const size_t *rows, size_t n, size_t F, const void *o,
                               char *err, size_t errlen);

static int fit_classic(const dataset_t *d, int kind, const char *arch, const size_t *train, size_t n_train,
                       const size_t *val, size_t n_val, store_fn store, const void *o, model_t *m, char *err,
                       size_t errlen) {
  memset(m, 0, sizeof *m);
  size_t F = d->n_features, n_fit = n_train + n_val;
  size_t *fit = malloc((n_fit ? n_fit : 1) * sizeof *fit);
  real *x = malloc((n_train ? n_train : 1) * F * sizeof(real));
  int *y = malloc((n_train ? n_train : 1) * sizeof *y);
  size_t *seq = malloc((n_train ? n_train : 1) * sizeof *seq); /* x's rows, in order */
  int rc = fit && x && y && seq ? 0 : -1;
  if (!rc) {
    memcpy(fit, train, n_train * sizeof *fit);
    if (n_val) memcpy(fit + n_train, val, n_val * sizeof *fit);
    rc = frame(d, kind, arch, fit, n_fit, m);
  }
  if (rc) snprintf(err, errlen, "out of memory");
  for (size_t i = 0; !rc && i < n_train; i++) {
    memcpy(x + i * F, d->x + train[i] * F, F * sizeof(real));
    y[i] = d->y[train[i]], seq[i] = i;
  }
  if (!rc) scaler_apply(x, n_train, F, m->shift, m->scale);
  if (!rc && !(m->classic = store(x, y, seq, n_train, F, o, err, errlen))) rc = -1;
  free(fit), free(x), free(y), free(seq);
  if (rc) model_free(m);
  return rc;
}

static classic_t *store_knn(const real *x, const int *y, const size_t *rows, size_t n, size_t F, const void *opts,
                            char *err, size_t errlen) {
  const knn_opts_t *o = opts;
  return knn_store(x, y, rows, n, F, o->k, o->weights, err, errlen);
}

int knn_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const knn_opts_t *o, model_t *m, char *err, size_t errlen) {
  return fit_classic(d, MODEL_KNN, o->arch, train, n_train, val, n_val, store_knn, o, m, err, errlen);
}

int svm_preset(const char *name, svm_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->C = 1, o->gamma = 0, o->train.seed = 1, o->train.epochs = 1;
  if (strcmp(name, "linear") == 0) o->kernel = SVM_LINEAR;
  else if (strcmp(name, "default") != 0) return -1;
  snprintf(o->arch, sizeof o->arch, "%s", name);
  return 0;
}

typedef struct svm_store_opts {
  const svm_opts_t *o;
  int K;
} svm_store_opts_t;

static classic_t *store_svm(const real *x, const int *y, const size_t *rows, size_t n, size_t F, const void *opts,
                            char *err, size_t errlen) {
  const svm_store_opts_t *s = opts;
  classic_t *c = svm_store(x, y, rows, n, F, s->K, s->o->kernel, s->o->C, s->o->gamma, !s->o->votes_only,
                           s->o->train.seed, err, errlen);
  if (c) c->threads = s->o->threads; /* its predictions (a fold's tests, the importance) share them */
  return c;
}

int svm_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
            const svm_opts_t *o, model_t *m, char *err, size_t errlen) {
  svm_store_opts_t s = {o, d->n_classes};
  return fit_classic(d, MODEL_SVM, o->arch, train, n_train, val, n_val, store_svm, &s, m, err, errlen);
}

int logreg_preset(const char *name, logreg_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->C = 1, o->train.seed = 1, o->train.epochs = 1;
  if (strcmp(name, "default") != 0) return -1;
  snprintf(o->arch, sizeof o->arch, "%s", name);
  return 0;
}

typedef struct logreg_store_opts {
  double C;
  int K;
} logreg_store_opts_t;

static classic_t *store_logreg(const real *x, const int *y, const size_t *rows, size_t n, size_t F, const void *opts,
                               char *err, size_t errlen) {
  const logreg_store_opts_t *s = opts;
  return logreg_store(x, y, rows, n, F, s->K, s->C, err, errlen);
}

int logreg_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
               const logreg_opts_t *o, model_t *m, char *err, size_t errlen) {
  logreg_store_opts_t s = {o->C, d->n_classes};
  return fit_classic(d, MODEL_LOGREG, o->arch, train, n_train, val, n_val, store_logreg, &s, m, err, errlen);
}

static int trees_preset(const char *name, int forest, trees_kind_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->train.seed = 1, o->train.epochs = 1, o->threads = 1;
  o->t = forest ? (trees_opts_t){1, 100, 6, 1.0, 0.8, 0.8} : (trees_opts_t){0, 100, 6, 0.3, 1.0, 1.0};
  if (strcmp(name, "default") != 0) return -1;
  snprintf(o->arch, sizeof o->arch, "%s", name);
  return 0;
}

int gbdt_preset(const char *name, trees_kind_opts_t *o) { return trees_preset(name, 0, o); }
int rf_preset(const char *name, trees_kind_opts_t *o) { return trees_preset(name, 1, o); }

typedef struct trees_store_opts {
  const trees_kind_opts_t *o;
  int K;
} trees_store_opts_t;

static classic_t *store_trees(const real *x, const int *y, const size_t *rows, size_t n, size_t F, const void *opts,
                              char *err, size_t errlen) {
  const trees_store_opts_t *s = opts;
  return trees_store(x, y, rows, n, F, s->K, &s->o->t, s->o->train.seed, s->o->threads, err, errlen);
}

int trees_fit(const dataset_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
              const trees_kind_opts_t *o, model_t *m, char *err, size_t errlen) {
  trees_store_opts_t s = {o, d->n_classes};
  return fit_classic(d, o->t.forest ? MODEL_RF : MODEL_GBDT, o->arch, train, n_train, val, n_val, store_trees, &s, m, err,
                     errlen);
}

int svm_votes(const model_t *m, const dataset_t *d, const size_t *idx, size_t n, int *labels) {
  size_t F = m->n_features;
  real *x = malloc(F * sizeof *x);
  int rc = x ? 0 : -1;
  for (size_t i = 0; !rc && i < n; i++) {
    memcpy(x, d->x + idx[i] * F, F * sizeof *x);
    scaler_apply(x, 1, F, m->shift, m->scale);
    rc = svm_vote_rows(m->classic, x, 1, labels + i);
  }
  free(x);
  return rc;
}
