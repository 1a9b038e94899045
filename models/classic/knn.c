/* Exact k nearest neighbours, as scikit-learn's KNeighborsClassifier (brute
 * force, Euclidean): squared distances as |a|^2 + |b|^2 - 2 a.b with one GEMM
 * per block of queries, the k smallest kept by insertion (stable: of equal
 * distances the earlier training row wins), then the votes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "classic.h"

#define QUERY_BLOCK 256 /* queries per GEMM: the training rows packed once per 256 queries */

static classic_t *knn_new(size_t n, size_t F, int k, int weights) {
  classic_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->kind = CLASSIC_KNN, c->n = n, c->F = F, c->k = k, c->weights = weights;
  c->x = malloc((n ? n : 1) * F * sizeof *c->x), c->norm = malloc((n ? n : 1) * sizeof *c->norm);
  c->y = malloc((n ? n : 1) * sizeof *c->y);
  if (!c->x || !c->norm || !c->y) return classic_free(c), NULL;
  return c;
}

classic_t *knn_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int k, int weights, char *err,
                   size_t errlen) {
  if (k < 1 || (size_t)k > n) return snprintf(err, errlen, "k = %d neighbours among %zu training rows", k, n), NULL;
  classic_t *c = knn_new(n, F, k, weights);
  if (!c) return snprintf(err, errlen, "out of memory"), NULL;
  for (size_t i = 0; i < n; i++) {
    for (size_t f = 0; f < F; f++) c->x[i * F + f] = x[rows[i] * F + f];
    c->y[i] = y[rows[i]];
  }
  classic_norms(c);
  return c;
}

/* The k nearest of one query (ab[j] = -2 q.x_j, qq = |q|^2) into at[k] (nearest
 * first): squared distances ab[j] + qq + |x_j|^2, clamped at 0, as scikit-learn
 * sums them. */
static void nearest(const double *ab, double qq, const double *norm, size_t n, int k, size_t *at, double *dist) {
  int have = 0;
  for (size_t i = 0; i < n; i++) {
    double d = ab[i] + qq + norm[i];
    d = d > 0 ? d : 0;
    if (have == k && !(d < dist[k - 1])) continue;
    int j = have < k ? have++ : k - 1;
    while (j > 0 && d < dist[j - 1]) dist[j] = dist[j - 1], at[j] = at[j - 1], j--;
    dist[j] = d, at[j] = i;
  }
}

static void vote(const classic_t *c, int K, const size_t *at, const double *dist, real *p) {
  double w[K > 0 ? K : 1], total = 0;
  memset(w, 0, sizeof w);
  int exact = 0;
  for (int j = 0; c->weights == KNN_DISTANCE && j < c->k; j++) exact += dist[j] == 0;
  for (int j = 0; j < c->k; j++) {
    double v = c->weights == KNN_UNIFORM ? 1 : exact ? dist[j] == 0 : 1 / sqrt(dist[j]);
    w[c->y[at[j]]] += v, total += v;
  }
  for (int k = 0; k < K; k++) p[k] = (real)(w[k] / total);
}

int knn_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs) {
  size_t n = c->n, F = c->F;
  double *q = malloc((size_t)QUERY_BLOCK * F * sizeof *q), *d = malloc((size_t)QUERY_BLOCK * n * sizeof *d);
  double *dist = malloc((size_t)c->k * sizeof *dist);
  size_t *at = malloc((size_t)c->k * sizeof *at);
  int rc = q && d && dist && at ? 0 : -1;
  for (int b0 = 0; !rc && b0 < B; b0 += QUERY_BLOCK) {
    int nb = B - b0 < QUERY_BLOCK ? B - b0 : QUERY_BLOCK;
    for (size_t i = 0; i < (size_t)nb * F; i++) q[i] = x[(size_t)b0 * F + i];
    /* d[i][j] = -2 q_i . x_j, then + |q_i|^2 + |x_j|^2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, (int)n, (int)F, -2.0, q, (int)F, c->x, (int)F, 0.0, d,
                (int)n);
    for (int i = 0; i < nb; i++) {
      double qq = 0;
      for (size_t f = 0; f < F; f++) qq += q[(size_t)i * F + f] * q[(size_t)i * F + f];
      nearest(d + (size_t)i * n, qq, c->norm, n, c->k, at, dist);
      vote(c, K, at, dist, probs + (size_t)(b0 + i) * K);
    }
  }
  free(q), free(d), free(dist), free(at);
  return rc;
}

size_t knn_size(const classic_t *c) { return 4 * 4 + c->n * c->F * 8 + c->n * 4; }

/* u32 k, u32 weights, u32 n, u32 F; f64 x[n][F]; u32 y[n] (little-endian) */
void knn_write(const classic_t *c, unsigned char *out) {
  classic_put32(&out, (uint32_t)c->k), classic_put32(&out, (uint32_t)c->weights);
  classic_put32(&out, (uint32_t)c->n), classic_put32(&out, (uint32_t)c->F);
  for (size_t i = 0; i < c->n * c->F; i++) classic_put64f(&out, c->x[i]);
  for (size_t i = 0; i < c->n; i++) classic_put32(&out, (uint32_t)c->y[i]);
}

int knn_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen) {
  c->k = (int)classic_get32(r), c->weights = (int)classic_get32(r);
  size_t n = classic_get32(r), f = classic_get32(r);
  if (r->bad || f != c->F || n > (size_t)1 << 26 || r->n - r->at != n * f * 8 + n * 4 || c->k < 1 || (size_t)c->k > n ||
      (c->weights != KNN_UNIFORM && c->weights != KNN_DISTANCE))
    return snprintf(err, errlen, "a kNN of %zu rows of %zu features, k = %d: not what its %zu bytes and the model's %zu "
                    "features say", n, f, c->k, r->n, c->F), -1;
  c->n = n;
  c->x = malloc((n ? n : 1) * f * sizeof *c->x), c->norm = malloc((n ? n : 1) * sizeof *c->norm);
  c->y = malloc((n ? n : 1) * sizeof *c->y);
  if (!c->x || !c->norm || !c->y) return snprintf(err, errlen, "out of memory"), -1;
  for (size_t i = 0; i < n * f; i++) c->x[i] = classic_get64f(r);
  for (size_t i = 0; i < n; i++)
    if ((c->y[i] = (int)classic_get32(r)) < 0 || c->y[i] >= c->K) r->bad = 1;
  if (r->bad) return snprintf(err, errlen, "a kNN row value that is not finite, or a label out of range"), -1;
  classic_norms(c);
  return 0;
}
