/* The classical kinds behind one interface: dispatch on the kind, and the
 * little-endian fields their file forms are made of. */
#include "classic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void classic_put32(unsigned char **p, uint32_t v) {
  for (int i = 0; i < 4; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}

void classic_put64f(unsigned char **p, double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  classic_put32(p, (uint32_t)bits), classic_put32(p, (uint32_t)(bits >> 32));
}

uint32_t classic_get32(classic_reader_t *r) {
  if (r->bad || r->n - r->at < 4) return r->bad = 1, 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)r->p[r->at++] << (8 * i);
  return v;
}

double classic_get64f(classic_reader_t *r) {
  uint64_t bits = classic_get32(r);
  bits |= (uint64_t)classic_get32(r) << 32;
  double v;
  memcpy(&v, &bits, 8);
  if (!isfinite(v)) r->bad = 1;
  return v;
}

int classic_predict(const classic_t *c, int K, const real *x, int B, real *probs) {
  switch (c->kind) {
  case CLASSIC_SVM: return svm_predict_rows(c, K, x, B, probs);
  case CLASSIC_LOGREG: return logreg_predict_rows(c, K, x, B, probs);
  case CLASSIC_GBDT:
  case CLASSIC_RF: return trees_predict_rows(c, K, x, B, probs);
  default: return knn_predict_rows(c, K, x, B, probs);
  }
}

size_t classic_size(const classic_t *c) {
  if (c->kind == CLASSIC_GBDT || c->kind == CLASSIC_RF) return trees_size(c);
  return c->kind == CLASSIC_SVM ? svm_size(c) : c->kind == CLASSIC_LOGREG ? logreg_size(c) : knn_size(c);
}

void classic_write(const classic_t *c, unsigned char *out) {
  if (c->kind == CLASSIC_SVM) svm_write(c, out);
  else if (c->kind == CLASSIC_LOGREG) logreg_write(c, out);
  else if (c->kind == CLASSIC_GBDT || c->kind == CLASSIC_RF) trees_write(c, out);
  else knn_write(c, out);
}

classic_t *classic_read(int kind, const unsigned char *p, size_t n_bytes, size_t F, int K, char *err, size_t errlen) {
  classic_t *c = calloc(1, sizeof *c);
  if (!c) return snprintf(err, errlen, "out of memory"), NULL;
  c->kind = kind, c->F = F, c->K = K;
  classic_reader_t r = {p, n_bytes, 0, 0};
  int rc = kind == CLASSIC_SVM      ? svm_read(c, &r, err, errlen)
           : kind == CLASSIC_KNN    ? knn_read(c, &r, err, errlen)
           : kind == CLASSIC_LOGREG ? logreg_read(c, &r, err, errlen)
           : kind == CLASSIC_GBDT || kind == CLASSIC_RF ? trees_read(c, &r, err, errlen)
                                    : (snprintf(err, errlen, "kind %d", kind), -1);
  if (!rc && (r.bad || r.at != r.n)) rc = -1, snprintf(err, errlen, "a damaged classical model (%zu of %zu bytes read)", r.at, r.n);
  if (rc) return classic_free(c), NULL;
  return c;
}

void classic_norms(classic_t *c) {
  for (size_t i = 0; i < c->n; i++) {
    double s = 0;
    for (size_t f = 0; f < c->F; f++) s += c->x[i * c->F + f] * c->x[i * c->F + f];
    c->norm[i] = s;
  }
}

void classic_free(classic_t *c) {
  if (!c) return;
  if (c->svm) svm_release(c);
  if (c->booster) trees_release(c);
  free(c->blob);
  free(c->x), free(c->norm), free(c->y), free(c->map), free(c->w), free(c);
}
