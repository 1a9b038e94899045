#include "ann_explain.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scaler.h"

/* The arg-max of each of n rows of x[n][F] (raw) into pred[n]. */
static int predict_labels(model_t *m, real *x, size_t n, real *scratch, real *probs, int *pred) {
  size_t F = m->n_features, K = (size_t)m->n_classes;
  int B = m->net ? m->net->max_batch : 4096; /* a classical model: 4096 rows per call */
  for (size_t start = 0; start < n; start += (size_t)B) {
    int b = (int)(n - start < (size_t)B ? n - start : (size_t)B);
    memcpy(scratch, x + start * F, (size_t)b * F * sizeof *scratch);
    scaler_apply(scratch, (size_t)b, F, m->shift, m->scale);
    if (model_predict(m, scratch, b, probs)) return -1;
    for (int i = 0; i < b; i++) {
      const real *p = probs + (size_t)i * K;
      int best = 0;
      for (size_t k = 1; k < K; k++)
        if (p[k] > p[best]) best = (int)k;
      pred[start + (size_t)i] = best;
    }
  }
  return 0;
}

int ann_permutation(model_t *m, const dataset_t *d, const size_t *idx, size_t n, int repeats, unsigned long seed,
                    int *base, int *counts) {
  size_t F = m->n_features, K = (size_t)m->n_classes, B = m->net ? (size_t)m->net->max_batch : 4096;
  real *x = malloc((n ? n : 1) * F * sizeof *x), *scratch = malloc(B * F * sizeof *scratch);
  real *probs = malloc(B * K * sizeof *probs), *column = malloc((n ? n : 1) * sizeof *column);
  int *pred = malloc((n ? n : 1) * sizeof *pred), rc = -1;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!x || !scratch || !probs || !column || !pred || !r) goto out;
  gsl_rng_set(r, seed);
  for (size_t i = 0; i < n; i++) memcpy(x + i * F, d->x + idx[i] * F, F * sizeof *x);
  if (predict_labels(m, x, n, scratch, probs, pred)) goto out;
  for (size_t i = 0; i < n; i++) base[(size_t)d->y[idx[i]] * K + (size_t)pred[i]]++;
  for (size_t j = 0; j < F; j++)
    for (int rep = 0; rep < repeats; rep++) {
      for (size_t i = 0; i < n; i++) column[i] = x[i * F + j];
      gsl_ran_shuffle(r, column, n, sizeof *column);
      for (size_t i = 0; i < n; i++) x[i * F + j] = column[i];
      if (predict_labels(m, x, n, scratch, probs, pred)) goto out;
      for (size_t i = 0; i < n; i++) counts[(j * K + (size_t)d->y[idx[i]]) * K + (size_t)pred[i]]++;
      for (size_t i = 0; i < n; i++) x[i * F + j] = d->x[idx[i] * F + j];
    }
  rc = 0;
out:
  free(x), free(scratch), free(probs), free(column), free(pred);
  if (r) gsl_rng_free(r);
  return rc;
}

int ann_attribution(model_t *m, const real *x, int cls, real *attr) {
  size_t F = m->n_features;
  real *z = malloc(F * sizeof *z), *dz = malloc(F * sizeof *dz);
  if (!z || !dz) return free(z), free(dz), -1;
  memcpy(z, x, F * sizeof *z);
  scaler_apply(z, 1, F, m->shift, m->scale);
  for (size_t j = 0; j < F; j++) attr[j] = 0;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    net_input_gradient(m->net, z, cls, dz);
    for (size_t j = 0; j < F; j++) attr[j] += dz[j] * z[j] / m->n_members;
  }
  model_use_member(m, 0);
  free(z), free(dz);
  return 0;
}

void ann_top_features(const real *attr, size_t F, int top, int *index) {
  for (int t = 0; t < top; t++) {
    int best = -1;
    for (size_t j = 0; j < F; j++) {
      int taken = 0;
      for (int u = 0; u < t; u++) taken |= index[u] == (int)j;
      if (!taken && (best < 0 || fabs(attr[j]) > fabs(attr[best]))) best = (int)j;
    }
    index[t] = best;
  }
}
