/* C-SVC through libsvm (Debian's libsvm-dev 3.24, the library scikit-learn's
 * SVC is built on): one-against-one, Platt's pairwise probabilities coupled
 * into class probabilities as libsvm does (computed here on blocks of rows with
 * BLAS: predict_share). The trained model is copied into
 * memory of its own (support vectors included), so it outlives the training
 * problem and reads back from the model file as it was. */
#include <libsvm/svm.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classic.h"

static void quiet(const char *s) { (void)s; }

/* Rows as libsvm's sparse nodes, every feature present (indices 1..F). */
static struct svm_node *nodes(const double *x, size_t n, size_t F) {
  struct svm_node *v = malloc((n ? n : 1) * (F + 1) * sizeof *v);
  for (size_t i = 0; v && i < n; i++) {
    for (size_t f = 0; f < F; f++) v[i * (F + 1) + f] = (struct svm_node){(int)f + 1, x[i * F + f]};
    v[i * (F + 1) + F].index = -1;
  }
  return v;
}

/* scikit-learn's gamma='scale': 1 / (F * the variance of every value of x[n][F]) */
static double gamma_scale(const double *x, size_t n, size_t F) {
  double sum = 0, sq = 0, N = (double)n * F;
  for (size_t i = 0; i < n * F; i++) sum += x[i], sq += x[i] * x[i];
  double var = sq / N - (sum / N) * (sum / N);
  return var > 0 ? 1 / (F * var) : 1;
}

classic_t *svm_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, int kernel, double C,
                     double gamma, int probability, unsigned long seed, char *err, size_t errlen) {
  double *dx = malloc((n ? n : 1) * F * sizeof *dx), *dy = malloc((n ? n : 1) * sizeof *dy);
  struct svm_node **px = malloc((n ? n : 1) * sizeof *px), *space = NULL;
  classic_t *c = calloc(1, sizeof *c);
  if (!dx || !dy || !px || !c) goto oom;
  for (size_t i = 0; i < n; i++) {
    for (size_t f = 0; f < F; f++) dx[i * F + f] = x[rows[i] * F + f];
    dy[i] = y[rows[i]];
  }
  if (!(space = nodes(dx, n, F))) goto oom;
  for (size_t i = 0; i < n; i++) px[i] = space + i * (F + 1);
  struct svm_problem prob = {(int)n, dy, px};
  struct svm_parameter p = {.svm_type = C_SVC, .kernel_type = kernel == SVM_LINEAR ? LINEAR : RBF, .degree = 3,
                            .gamma = gamma > 0 ? gamma : gamma_scale(dx, n, F), .cache_size = 200, .eps = 1e-3,
                            .C = C, .shrinking = 1, .probability = probability};
  const char *bad = svm_check_parameter(&prob, &p);
  if (bad) {
    snprintf(err, errlen, "libsvm: %s", bad);
    goto fail;
  }
  svm_set_print_string_function(quiet);
  srand((unsigned)seed); /* libsvm draws the folds of its probability fit with rand() */
  struct svm_model *trained = svm_train(&prob, &p);
  c->kind = CLASSIC_SVM, c->F = F, c->K = K;
  /* a copy of its own: through the file form */
  size_t size = 0;
  unsigned char *blob = NULL;
  if (trained) c->svm = trained, size = svm_size(c), blob = malloc(size);
  if (blob) svm_write(c, blob);
  c->svm = NULL;
  if (trained) svm_free_and_destroy_model(&trained);
  classic_reader_t r = {blob, size, 0, 0};
  int rc = blob ? svm_read(c, &r, err, errlen) : (snprintf(err, errlen, "out of memory"), -1);
  c->votes_only = !probability;
  free(blob);
  if (rc) goto fail;
  free(dx), free(dy), free(px), free(space);
  return c;
oom:
  snprintf(err, errlen, "out of memory");
fail:
  free(dx), free(dy), free(px), free(space), classic_free(c);
  return NULL;
}

/* Prediction, dense: libsvm's svm_predict_probability for C-SVC, computed on
 * blocks of rows with the kernel values from one BLAS GEMM against the support
 * vectors (c->x, [l][F]) instead of libsvm's sparse loop per pair of rows --
 * the same formulas in the same order: the decision values of each pair of
 * classes, Platt's sigmoid (clamped to [1e-7, 1 - 1e-7]) and the pairwise
 * coupling of Wu, Lin and Weng (2004) that libsvm's multiclass_probability
 * iterates. Equal to libsvm's to rounding (tests/test_classic.c). */
#define SVM_BLOCK 64

static double sigmoid(double dec, double A, double B) {
  double fApB = dec * A + B;
  return fApB >= 0 ? exp(-fApB) / (1.0 + exp(-fApB)) : 1.0 / (1 + exp(fApB));
}

/* libsvm's multiclass_probability: p[k] from the pairwise r[k][k] (Q, Qp: scratch). */
static void couple(int k, const double *r, double *p, double *Q, double *Qp) {
  int max_iter = k > 100 ? k : 100;
  double eps = 0.005 / k;
  for (int t = 0; t < k; t++) {
    p[t] = 1.0 / k, Q[t * k + t] = 0;
    for (int j = 0; j < t; j++) Q[t * k + t] += r[j * k + t] * r[j * k + t], Q[t * k + j] = Q[j * k + t];
    for (int j = t + 1; j < k; j++) Q[t * k + t] += r[j * k + t] * r[j * k + t], Q[t * k + j] = -r[j * k + t] * r[t * k + j];
  }
  for (int iter = 0; iter < max_iter; iter++) {
    double pQp = 0, max_error = 0;
    for (int t = 0; t < k; t++) {
      Qp[t] = 0;
      for (int j = 0; j < k; j++) Qp[t] += Q[t * k + j] * p[j];
      pQp += p[t] * Qp[t];
    }
    for (int t = 0; t < k; t++) max_error = fmax(max_error, fabs(Qp[t] - pQp));
    if (max_error < eps) break;
    for (int t = 0; t < k; t++) {
      double diff = (-Qp[t] + pQp) / Q[t * k + t];
      p[t] += diff;
      pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
      for (int j = 0; j < k; j++) Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff), p[j] /= (1 + diff);
    }
  }
}

/* One row's class probabilities p[nr_class] from its kernel values kv[l]
 * (scratch: 2 k^2 + k doubles); with votes, one-hot on the vote's winner. */
static void probabilities(const struct svm_model *m, const double *kv, int votes, double *p, double *scratch) {
  int k = m->nr_class, start[k], pair = 0;
  double *r = scratch, *Q = r + k * k, *Qp = Q + k * k;
  for (int i = 0; votes && i < k; i++) Qp[i] = 0;
  start[0] = 0;
  for (int i = 1; i < k; i++) start[i] = start[i - 1] + m->nSV[i - 1];
  for (int i = 0; i < k; i++)
    for (int j = i + 1; j < k; j++, pair++) {
      double sum = 0;
      const double *coef1 = m->sv_coef[j - 1], *coef2 = m->sv_coef[i];
      for (int s = 0; s < m->nSV[i]; s++) sum += coef1[start[i] + s] * kv[start[i] + s];
      for (int s = 0; s < m->nSV[j]; s++) sum += coef2[start[j] + s] * kv[start[j] + s];
      if (votes) { /* libsvm's svm_predict: a vote per pair, the first of the most voted wins */
        Qp[sum - m->rho[pair] > 0 ? i : j] += 1;
        continue;
      }
      double q = sigmoid(sum - m->rho[pair], m->probA[pair], m->probB[pair]);
      q = fmin(fmax(q, 1e-7), 1 - 1e-7);
      r[i * k + j] = q, r[j * k + i] = 1 - q;
    }
  if (votes) {
    int best = 0;
    for (int i = 1; i < k; i++) best = Qp[i] > Qp[best] ? i : best;
    for (int i = 0; i < k; i++) p[i] = i == best;
  } else if (k == 2) p[0] = r[1], p[1] = r[k];
  else couple(k, r, p, Q, Qp);
}

/* Rows [from, to) of a prediction: libsvm's model is only read, so the rows
 * are shared among threads (each row's numbers are the same for any count). */
typedef struct svm_share {
  const classic_t *c;
  int K, from, to, failed;
  const real *x;
  real *probs;
} svm_share_t;

static void *predict_share(void *arg) {
  svm_share_t *s = arg;
  const struct svm_model *m = s->c->svm;
  size_t F = s->c->F, l = (size_t)m->l;
  int k = m->nr_class;
  double *xb = malloc(SVM_BLOCK * F * sizeof *xb), *kv = malloc(SVM_BLOCK * l * sizeof *kv);
  double *scratch = malloc((size_t)(2 * k * k + k) * sizeof *scratch), p[k > 0 ? k : 1];
  if (!xb || !kv || !scratch) return free(xb), free(kv), free(scratch), s->failed = 1, NULL;
  int rbf = m->param.kernel_type == RBF;
  for (int b0 = s->from; b0 < s->to; b0 += SVM_BLOCK) {
    int nb = s->to - b0 < SVM_BLOCK ? s->to - b0 : SVM_BLOCK;
    for (size_t i = 0; i < (size_t)nb * F; i++) xb[i] = s->x[(size_t)b0 * F + i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, (int)l, (int)F, 1.0, xb, (int)F, s->c->x, (int)F, 0.0, kv,
                (int)l);
    for (int i = 0; i < nb; i++) {
      double *row = kv + (size_t)i * l, xx = 0;
      for (size_t f = 0; rbf && f < F; f++) xx += xb[(size_t)i * F + f] * xb[(size_t)i * F + f];
      for (size_t j = 0; rbf && j < l; j++) row[j] = exp(-m->param.gamma * fmax(xx + s->c->norm[j] - 2 * row[j], 0));
      probabilities(m, row, s->c->votes_only, p, scratch);
      real *out = s->probs + (size_t)(b0 + i) * s->K;
      for (int c = 0; c < s->K; c++) out[c] = 0; /* a class absent in training: 0 */
      for (int j = 0; j < k; j++) out[m->label[j]] = (real)p[j];
    }
  }
  free(xb), free(kv), free(scratch);
  return NULL;
}

#define SVM_MAX_THREADS 8

int svm_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs) {
  long cores = c->threads > 0 ? c->threads : sysconf(_SC_NPROCESSORS_ONLN);
  int T = B < 64 ? 1 : cores < 1 ? 1 : cores > SVM_MAX_THREADS ? SVM_MAX_THREADS : (int)cores;
  svm_share_t share[SVM_MAX_THREADS];
  pthread_t tid[SVM_MAX_THREADS];
  int started = 0, failed = 0;
  for (int t = 0; t < T; t++) share[t] = (svm_share_t){c, K, (int)((long)B * t / T), (int)((long)B * (t + 1) / T), 0, x, probs};
  for (int t = 1; t < T; t++, started++)
    if (pthread_create(&tid[t - 1], NULL, predict_share, &share[t])) break;
  for (int t = started + 1; t < T; t++) predict_share(&share[t]); /* threads that could not start: here */
  predict_share(&share[0]);
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  for (int t = 0; t < T; t++) failed |= share[t].failed;
  return failed ? -1 : 0;
}

/* u32 kernel, f64 gamma, u32 nr_class, u32 l; u32 label[nr_class], u32 nSV[nr_class];
 * f64 rho, probA, probB [pairs each]; f64 sv_coef[nr_class-1][l]; f64 SV[l][F] */
size_t svm_size(const classic_t *c) {
  const struct svm_model *m = c->svm;
  size_t k = (size_t)m->nr_class, l = (size_t)m->l, pairs = k * (k - 1) / 2;
  return 4 + 8 + 4 + 4 + 8 * k + 8 * 3 * pairs + 8 * (k - 1) * l + 8 * l * c->F;
}

void svm_write(const classic_t *c, unsigned char *out) {
  const struct svm_model *m = c->svm;
  size_t k = (size_t)m->nr_class, l = (size_t)m->l, pairs = k * (k - 1) / 2;
  classic_put32(&out, m->param.kernel_type == LINEAR ? SVM_LINEAR : SVM_RBF), classic_put64f(&out, m->param.gamma);
  classic_put32(&out, (uint32_t)k), classic_put32(&out, (uint32_t)l);
  for (size_t i = 0; i < k; i++) classic_put32(&out, (uint32_t)m->label[i]);
  for (size_t i = 0; i < k; i++) classic_put32(&out, (uint32_t)m->nSV[i]);
  for (size_t i = 0; i < pairs; i++) classic_put64f(&out, m->rho[i]);
  for (size_t i = 0; i < pairs; i++) classic_put64f(&out, m->probA ? m->probA[i] : 0); /* none: votes only */
  for (size_t i = 0; i < pairs; i++) classic_put64f(&out, m->probB ? m->probB[i] : 0);
  for (size_t j = 0; j + 1 < k; j++)
    for (size_t i = 0; i < l; i++) classic_put64f(&out, m->sv_coef[j][i]);
  for (size_t i = 0; i < l; i++) {
    const struct svm_node *v = m->SV[i];
    for (size_t f = 0; f < c->F; f++) { /* dense: a feature libsvm left out is 0 */
      double value = 0;
      for (const struct svm_node *q = v; q->index != -1; q++)
        if ((size_t)q->index == f + 1) value = q->value;
      classic_put64f(&out, value);
    }
  }
}

/* A model laid out as svm_load_model lays it out (free_sv: the vectors in one block). */
static struct svm_model *svm_alloc(size_t k, size_t l, size_t F) {
  struct svm_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  size_t pairs = k * (k - 1) / 2;
  m->nr_class = (int)k, m->l = (int)l, m->free_sv = 1;
  m->label = malloc(k * sizeof(int)), m->nSV = malloc(k * sizeof(int));
  m->rho = malloc((pairs ? pairs : 1) * sizeof(double)), m->probA = malloc((pairs ? pairs : 1) * sizeof(double));
  m->probB = malloc((pairs ? pairs : 1) * sizeof(double)), m->sv_coef = calloc(k - 1 ? k - 1 : 1, sizeof(double *));
  m->SV = malloc((l ? l : 1) * sizeof *m->SV);
  struct svm_node *space = malloc((l ? l : 1) * (F + 1) * sizeof *space);
  int ok = m->label && m->nSV && m->rho && m->probA && m->probB && m->sv_coef && m->SV && space;
  for (size_t j = 0; ok && j + 1 < k; j++) ok = (m->sv_coef[j] = malloc((l ? l : 1) * sizeof(double))) != NULL;
  for (size_t i = 0; ok && i < l; i++) m->SV[i] = space + i * (F + 1);
  if (!ok || !l) free(space), m->l = ok ? m->l : 0; /* an empty model frees no block */
  if (!ok) svm_free_and_destroy_model(&m);
  return m;
}

int svm_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen) {
  uint32_t kernel = classic_get32(r);
  double gamma = classic_get64f(r);
  size_t k = classic_get32(r), l = classic_get32(r), pairs = k * (k - 1) / 2;
  if (r->bad || (kernel != SVM_RBF && kernel != SVM_LINEAR) || !(gamma > 0) || k < 2 || k > (size_t)c->K || l < 1 ||
      l > (size_t)1 << 26 || r->n - r->at != 8 * k + 8 * 3 * pairs + 8 * (k - 1) * l + 8 * l * c->F)
    return snprintf(err, errlen, "an SVM of %zu classes and %zu support vectors: not what its %zu bytes say", k, l, r->n), -1;
  struct svm_model *m = svm_alloc(k, l, c->F);
  if (!m) return snprintf(err, errlen, "out of memory"), -1;
  c->svm = m;
  m->param = (struct svm_parameter){.svm_type = C_SVC, .kernel_type = kernel == SVM_LINEAR ? LINEAR : RBF, .degree = 3,
                                    .gamma = gamma, .probability = 1};
  size_t total = 0;
  for (size_t i = 0; i < k; i++)
    if ((m->label[i] = (int)classic_get32(r)) < 0 || m->label[i] >= c->K) r->bad = 1;
  for (size_t i = 0; i < k; i++) total += (size_t)(m->nSV[i] = (int)classic_get32(r));
  for (size_t i = 0; i < pairs; i++) m->rho[i] = classic_get64f(r);
  for (size_t i = 0; i < pairs; i++) m->probA[i] = classic_get64f(r);
  for (size_t i = 0; i < pairs; i++) m->probB[i] = classic_get64f(r);
  for (size_t j = 0; j + 1 < k; j++)
    for (size_t i = 0; i < l; i++) m->sv_coef[j][i] = classic_get64f(r);
  for (size_t i = 0; i < l; i++) {
    for (size_t f = 0; f < c->F; f++) m->SV[i][f] = (struct svm_node){(int)f + 1, classic_get64f(r)};
    m->SV[i][c->F].index = -1;
  }
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++) r->bad |= m->label[i] == m->label[j];
  if (r->bad || total != l) return snprintf(err, errlen, "an SVM with labels out of range or repeated, support vectors "
                                            "miscounted, or values that are not finite"), -1;
  /* the support vectors dense, with their squared norms, for the GEMM of the predictions */
  c->n = l, c->x = malloc(l * c->F * sizeof *c->x), c->norm = malloc(l * sizeof *c->norm);
  if (!c->x || !c->norm) return snprintf(err, errlen, "out of memory"), -1;
  for (size_t i = 0; i < l; i++)
    for (size_t f = 0; f < c->F; f++) c->x[i * c->F + f] = m->SV[i][f].value;
  classic_norms(c);
  return 0;
}

void svm_release(classic_t *c) { svm_free_and_destroy_model(&c->svm); }

int svm_support_vectors(const classic_t *c) { return c->svm->l; }

int svm_vote_rows(const classic_t *c, const real *x, int B, int *labels) {
  struct svm_node *v = malloc((c->F + 1) * sizeof *v);
  if (!v) return -1;
  for (int b = 0; b < B; b++) {
    for (size_t f = 0; f < c->F; f++) v[f] = (struct svm_node){(int)f + 1, x[(size_t)b * c->F + f]};
    v[c->F].index = -1;
    labels[b] = (int)svm_predict(c->svm, v); /* one-against-one votes, as scikit-learn's SVC.predict */
  }
  free(v);
  return 0;
}

int svm_library_version(void) { return libsvm_version; }
