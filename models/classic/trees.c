/* Gradient-boosted trees and random forests through XGBoost's C API (Debian's
 * libxgboost-dev 1.7.4; python3-xgboost is the same library): hist trees,
 * multi:softprob over the K classes, a forest as XGBoost's random-forest mode
 * (one round of num_parallel_tree trees, eta 1, rows and columns subsampled,
 * as its XGBRFClassifier). The model is kept as XGBoost's own UBJSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "classic.h"

static void quiet(const char *s) { (void)s; }

/* XGBoost's parameters for o (K classes, seed, threads). 0, or -1. */
static int set_params(BoosterHandle b, const trees_opts_t *o, int K, unsigned long seed, int threads) {
  char v[64];
  int rc = XGBoosterSetParam(b, "objective", "multi:softprob") || XGBoosterSetParam(b, "tree_method", "hist");
  snprintf(v, sizeof v, "%d", K), rc = rc || XGBoosterSetParam(b, "num_class", v);
  snprintf(v, sizeof v, "%d", o->depth), rc = rc || XGBoosterSetParam(b, "max_depth", v);
  snprintf(v, sizeof v, "%.17g", o->eta), rc = rc || XGBoosterSetParam(b, "eta", v);
  snprintf(v, sizeof v, "%.17g", o->subsample), rc = rc || XGBoosterSetParam(b, "subsample", v);
  snprintf(v, sizeof v, "%lu", seed % 2147483648ul), rc = rc || XGBoosterSetParam(b, "seed", v);
  snprintf(v, sizeof v, "%d", threads > 0 ? threads : 1), rc = rc || XGBoosterSetParam(b, "nthread", v);
  rc = rc || XGBoosterSetParam(b, "verbosity", "0");
  if (o->forest) {
    snprintf(v, sizeof v, "%d", o->trees), rc = rc || XGBoosterSetParam(b, "num_parallel_tree", v);
    snprintf(v, sizeof v, "%.17g", o->colsample), rc = rc || XGBoosterSetParam(b, "colsample_bynode", v);
    rc = rc || XGBoosterSetParam(b, "lambda", "1e-05"); /* XGBRFClassifier's reg_lambda */
  } else {
    snprintf(v, sizeof v, "%.17g", o->colsample), rc = rc || XGBoosterSetParam(b, "colsample_bytree", v);
  }
  return rc ? -1 : 0;
}

/* The booster's UBJSON into c->blob. 0, or -1. */
static int keep(classic_t *c, BoosterHandle b) {
  bst_ulong len;
  const char *buf;
  if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &len, &buf)) return -1;
  c->blob = malloc(len ? len : 1);
  if (!c->blob) return -1;
  memcpy(c->blob, buf, len), c->n_blob = len;
  return 0;
}

classic_t *trees_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, const trees_opts_t *o,
                       unsigned long seed, int threads, char *err, size_t errlen) {
  float *fx = malloc((n ? n : 1) * F * sizeof *fx), *fy = malloc((n ? n : 1) * sizeof *fy);
  classic_t *c = calloc(1, sizeof *c);
  DMatrixHandle d = NULL;
  BoosterHandle b = NULL;
  if (!fx || !fy || !c) goto oom;
  for (size_t i = 0; i < n; i++) {
    for (size_t f = 0; f < F; f++) fx[i * F + f] = (float)x[rows[i] * F + f];
    fy[i] = (float)y[rows[i]];
  }
  c->kind = o->forest ? CLASSIC_RF : CLASSIC_GBDT, c->F = F, c->K = K;
  XGBRegisterLogCallback(quiet);
  int rc = XGDMatrixCreateFromMat(fx, n, F, NAN, &d) || XGDMatrixSetFloatInfo(d, "label", fy, n) ||
           XGBoosterCreate(&d, 1, &b) || set_params(b, o, K, seed, threads);
  for (int r = 0; !rc && r < (o->forest ? 1 : o->trees); r++) rc = XGBoosterUpdateOneIter(b, r, d);
  if (rc) {
    snprintf(err, errlen, "XGBoost: %s", XGBGetLastError());
    goto fail;
  }
  if (keep(c, b) || !(c->booster = b)) goto oom;
  XGDMatrixFree(d);
  free(fx), free(fy);
  return c;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  if (d) XGDMatrixFree(d);
  if (b && (!c || c->booster != b)) XGBoosterFree(b);
  free(fx), free(fy), classic_free(c);
  return NULL;
}

int trees_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs) {
  float *fx = malloc((size_t)B * c->F * sizeof *fx);
  DMatrixHandle d = NULL;
  bst_ulong len = 0;
  const float *out = NULL;
  if (!fx) return -1;
  for (size_t i = 0; i < (size_t)B * c->F; i++) fx[i] = (float)x[i];
  int rc = XGDMatrixCreateFromMat(fx, (bst_ulong)B, c->F, NAN, &d) || XGBoosterPredict(c->booster, d, 0, 0, 0, &len, &out) ||
           len != (bst_ulong)B * K ? -1 : 0;
  for (size_t i = 0; !rc && i < (size_t)B * K; i++) probs[i] = out[i];
  if (d) XGDMatrixFree(d);
  free(fx);
  return rc;
}

/* u32 length; XGBoost's UBJSON model */
size_t trees_size(const classic_t *c) { return 4 + c->n_blob; }

void trees_write(const classic_t *c, unsigned char *out) {
  classic_put32(&out, (uint32_t)c->n_blob);
  memcpy(out, c->blob, c->n_blob);
}

int trees_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen) {
  size_t len = classic_get32(r);
  if (r->bad || len != r->n - r->at || !len) return snprintf(err, errlen, "a tree model of %zu bytes in %zu", len, r->n), -1;
  BoosterHandle b = NULL;
  XGBRegisterLogCallback(quiet);
  if (XGBoosterCreate(NULL, 0, &b) || XGBoosterLoadModelFromBuffer(b, r->p + r->at, len)) {
    snprintf(err, errlen, "XGBoost cannot read its trees: %s", XGBGetLastError());
    if (b) XGBoosterFree(b);
    return -1;
  }
  bst_ulong features = 0;
  char v[32];
  snprintf(v, sizeof v, "%d", 1);
  if (XGBoosterGetNumFeature(b, &features) || features != c->F || XGBoosterSetParam(b, "nthread", v)) {
    XGBoosterFree(b);
    return snprintf(err, errlen, "trees of %llu features for a model of %zu", (unsigned long long)features, c->F), -1;
  }
  c->booster = b;
  c->blob = malloc(len), c->n_blob = len;
  if (!c->blob) return snprintf(err, errlen, "out of memory"), -1;
  memcpy(c->blob, r->p + r->at, len);
  r->at += len;
  return 0;
}

void trees_release(classic_t *c) {
  if (c->booster) XGBoosterFree(c->booster);
  c->booster = NULL;
}

void trees_library_version(int *major, int *minor, int *patch) { XGBoostVersion(major, minor, patch); }
