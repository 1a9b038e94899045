#include "fold_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rows translated into the dataset's numbering, in one allocation */
static size_t *translate(const size_t *map, const size_t *const rows[3], const size_t n[3], size_t *out[3]) {
  size_t total = n[0] + n[1] + n[2];
  size_t *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) return NULL;
  size_t at = 0;
  for (int k = 0; k < 3; k++) {
    out[k] = all + at;
    for (size_t i = 0; i < n[k]; i++) out[k][i] = map ? map[rows[k][i]] : rows[k][i];
    at += n[k];
  }
  return all;
}

int fold_ann(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
             size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, epoch_log_t *log, int *epochs,
             char *err, size_t errlen) {
  fold_ann_t *c = ctx;
  const size_t *const rows[3] = {train, val, test}, n[3] = {n_train, n_val, n_test};
  size_t *r[3], *all = translate(c->map, rows, n, r);
  if (!all) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  ann_opts_t o = *c->o;
  o.train.seed = seed;
  if (monitor) o.train.monitor = r[2], o.train.n_monitor = n_test;
  char tag[32];
  snprintf(tag, sizeof tag, "fold %d", fold + 1);
  o.train.tag = tag;
  model_t m;
  int rc = ann_fit(c->d, r[0], n_train, r[1], n_val, &o, &m, log, epochs, err, errlen);
  if (!rc) {
    rc = ann_predict(&m, c->d, r[2], n_test, probs);
    if (rc) snprintf(err, errlen, "out of memory");
    model_free(&m);
  }
  free(all);
  return rc;
}

int fold_cnn(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
             size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, epoch_log_t *log, int *epochs,
             char *err, size_t errlen) {
  fold_cnn_t *c = ctx;
  const size_t *const rows[3] = {train, val, test}, n[3] = {n_train, n_val, n_test};
  size_t *r[3], *all = translate(c->map, rows, n, r);
  if (!all) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  cnn_opts_t o = *c->o;
  o.train.seed = seed;
  if (monitor) o.train.monitor = r[2], o.train.n_monitor = n_test;
  char tag[32];
  snprintf(tag, sizeof tag, "fold %d", fold + 1);
  o.train.tag = tag;
  model_t m;
  int rc = cnn_fit(c->d, r[0], n_train, r[1], n_val, &o, &m, log, epochs, err, errlen);
  if (!rc) {
    rc = cnn_predict(&m, c->d, r[2], n_test, o.read_ahead, probs, err, errlen);
    model_free(&m);
  }
  free(all);
  return rc;
}
