/* Multinomial logistic regression with an L2 penalty, as scikit-learn's
 * LogisticRegression (lbfgs, C = 1, multinomial): the weights minimise
 *   |W|^2 / 2 + C sum_i -ln softmax(W x_i + b)[y_i]
 * (the intercepts not penalised), by GSL's BFGS (vector_bfgs2) with the
 * gradient from two BLAS GEMMs per evaluation, until no gradient component
 * exceeds 1e-4 (scikit-learn's lbfgs stops at the same tolerance, pgtol).
 * Only the classes present in the training rows take part; the others get
 * probability 0. */
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classic.h"

typedef struct problem {
  const double *x; /* [n][F] */
  const int *y;    /* [n] indices into the present classes */
  size_t n, F;
  int K;           /* present classes */
  double C;
  double *z;       /* scratch: [n][K] logits, then p - onehot */
  /* the last point evaluated, its value and gradient: GSL's line search
   * asks for f and then df at the same point, which is one evaluation */
  double *at, *grad, value;
  int cached;
} problem_t;

/* The objective at theta = [W (K x F) | b (K)], and its gradient when grad is not NULL. */
static double objective(const gsl_vector *theta, void *ctx, gsl_vector *grad) {
  problem_t *p = ctx;
  size_t F = p->F, K = (size_t)p->K;
  const double *W = theta->data, *b = theta->data + K * F;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->n, (int)K, (int)F, 1.0, p->x, (int)F, W, (int)F, 0.0,
              p->z, (int)K);
  double loss = 0;
  for (size_t i = 0; i < p->n; i++) {
    double *z = p->z + i * K, top = -INFINITY, sum = 0;
    for (size_t k = 0; k < K; k++) z[k] += b[k], top = fmax(top, z[k]);
    double truth = z[p->y[i]];
    for (size_t k = 0; k < K; k++) z[k] = exp(z[k] - top), sum += z[k];
    loss += top + log(sum) - truth;
    for (size_t k = 0; k < K; k++) z[k] = z[k] / sum - (k == (size_t)p->y[i]);
  }
  double reg = 0;
  for (size_t j = 0; j < K * F; j++) reg += W[j] * W[j];
  if (grad) {
    double *gW = grad->data, *gb = grad->data + K * F;
    memcpy(gW, W, K * F * sizeof *gW);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)F, (int)p->n, p->C, p->z, (int)K, p->x, (int)F,
                1.0, gW, (int)F);
    for (size_t k = 0; k < K; k++) {
      double s = 0;
      for (size_t i = 0; i < p->n; i++) s += p->z[i * K + k];
      gb[k] = p->C * s;
    }
  }
  return reg / 2 + p->C * loss;
}

/* The value and gradient at t, from the cache when t is the last point. */
static double evaluate(const gsl_vector *t, problem_t *p, gsl_vector *g) {
  size_t d = t->size;
  if (!p->cached || memcmp(p->at, t->data, d * sizeof *p->at) != 0) {
    gsl_vector_view grad = gsl_vector_view_array(p->grad, d);
    p->value = objective(t, p, &grad.vector);
    memcpy(p->at, t->data, d * sizeof *p->at), p->cached = 1;
  }
  if (g) memcpy(g->data, p->grad, d * sizeof *p->grad);
  return p->value;
}

static double f_only(const gsl_vector *t, void *ctx) { return evaluate(t, ctx, NULL); }
static void df_only(const gsl_vector *t, void *ctx, gsl_vector *g) { evaluate(t, ctx, g); }
static void fdf(const gsl_vector *t, void *ctx, double *f, gsl_vector *g) { *f = evaluate(t, ctx, g); }

/* BFGS from zero weights; theta receives the minimum. The iterations taken, or -1. */
static int minimise(problem_t *p, gsl_vector *theta) {
  gsl_multimin_function_fdf fn = {f_only, df_only, fdf, theta->size, p};
  gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, theta->size);
  if (!s) return -1;
  gsl_vector_set_zero(theta);
  gsl_multimin_fdfminimizer_set(s, &fn, theta, 0.01, 0.1);
  int it = 0, status = GSL_CONTINUE;
  while (status == GSL_CONTINUE && it++ < 5000) {
    if (gsl_multimin_fdfminimizer_iterate(s)) break; /* no further progress along the line: at the minimum */
    /* every component within 1e-4, as scipy's L-BFGS-B under scikit-learn (tol, its pgtol) */
    status = gsl_vector_max(s->gradient) <= 1e-4 && gsl_vector_min(s->gradient) >= -1e-4 ? GSL_SUCCESS : GSL_CONTINUE;
  }
  gsl_vector_memcpy(theta, s->x);
  gsl_multimin_fdfminimizer_free(s);
  return it;
}

classic_t *logreg_store(const real *x, const int *y, const size_t *rows, size_t n, size_t F, int K, double C, char *err,
                        size_t errlen) {
  classic_t *c = calloc(1, sizeof *c);
  int *present = calloc((size_t)K, sizeof *present), *yy = malloc((n ? n : 1) * sizeof *yy), P = 0;
  problem_t p = {.n = n, .F = F, .C = C};
  double *dx = malloc((n ? n : 1) * F * sizeof *dx);
  if (!c || !present || !yy || !dx) goto oom;
  for (size_t i = 0; i < n; i++) present[y[rows[i]]] = 1;
  c->kind = CLASSIC_LOGREG, c->F = F, c->K = K;
  c->map = malloc((size_t)K * sizeof *c->map);
  if (!c->map) goto oom;
  for (int k = 0; k < K; k++) c->map[k] = present[k] ? P++ : -1; /* class k's row of the weights, or -1 */
  if (P < 2) {
    snprintf(err, errlen, "the training rows hold %d class: nothing to separate", P);
    free(present), free(yy), free(dx), classic_free(c);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t f = 0; f < F; f++) dx[i * F + f] = x[rows[i] * F + f];
    yy[i] = c->map[y[rows[i]]];
  }
  p.x = dx, p.y = yy, p.K = P;
  p.z = malloc((n ? n : 1) * (size_t)P * sizeof *p.z);
  p.at = malloc((size_t)P * (F + 1) * sizeof *p.at), p.grad = malloc((size_t)P * (F + 1) * sizeof *p.grad);
  gsl_vector *theta = gsl_vector_alloc((size_t)P * (F + 1));
  if (!p.z || !p.at || !p.grad || !theta) goto oom_theta;
  c->iterations = minimise(&p, theta);
  c->w = malloc(theta->size * sizeof *c->w);
  if (c->iterations < 0 || !c->w) goto oom_theta;
  memcpy(c->w, theta->data, theta->size * sizeof *c->w);
  c->P = P;
  gsl_vector_free(theta);
  free(present), free(yy), free(dx), free(p.z), free(p.at), free(p.grad);
  return c;
oom_theta:
  if (theta) gsl_vector_free(theta);
oom:
  snprintf(err, errlen, "out of memory");
  free(present), free(yy), free(dx), free(p.z), free(p.at), free(p.grad), classic_free(c);
  return NULL;
}

int logreg_predict_rows(const classic_t *c, int K, const real *x, int B, real *probs) {
  size_t F = c->F, P = (size_t)c->P;
  const double *W = c->w, *b = c->w + P * F;
  double z[P ? P : 1];
  for (int r = 0; r < B; r++) {
    double top = -INFINITY, sum = 0;
    for (size_t k = 0; k < P; k++) {
      double s = b[k];
      for (size_t f = 0; f < F; f++) s += W[k * F + f] * x[(size_t)r * F + f];
      z[k] = s, top = fmax(top, s);
    }
    for (size_t k = 0; k < P; k++) sum += exp(z[k] - top);
    for (int k = 0; k < K; k++) probs[(size_t)r * K + k] = c->map[k] < 0 ? 0 : (real)(exp(z[c->map[k]] - top) / sum);
  }
  return 0;
}

/* u32 P; i32 map[K]; f64 w[P][F + 1] (W then b) */
size_t logreg_size(const classic_t *c) { return 4 + 4 * (size_t)c->K + 8 * (size_t)c->P * (c->F + 1); }

void logreg_write(const classic_t *c, unsigned char *out) {
  classic_put32(&out, (uint32_t)c->P);
  for (int k = 0; k < c->K; k++) classic_put32(&out, (uint32_t)c->map[k]);
  for (size_t i = 0; i < (size_t)c->P * (c->F + 1); i++) classic_put64f(&out, c->w[i]);
}

int logreg_read(classic_t *c, classic_reader_t *r, char *err, size_t errlen) {
  c->P = (int)classic_get32(r);
  if (r->bad || c->P < 2 || c->P > c->K || r->n - r->at != 4 * (size_t)c->K + 8 * (size_t)c->P * (c->F + 1))
    return snprintf(err, errlen, "a logistic regression of %d classes: not what its %zu bytes say", c->P, r->n), -1;
  c->map = malloc((size_t)c->K * sizeof *c->map), c->w = malloc((size_t)c->P * (c->F + 1) * sizeof *c->w);
  if (!c->map || !c->w) return snprintf(err, errlen, "out of memory"), -1;
  int next = 0;
  for (int k = 0; k < c->K; k++) {
    c->map[k] = (int)classic_get32(r);
    if (c->map[k] != -1 && c->map[k] != next++) r->bad = 1; /* the present classes in order */
  }
  for (size_t i = 0; i < (size_t)c->P * (c->F + 1); i++) c->w[i] = classic_get64f(r);
  if (r->bad || next != c->P) return snprintf(err, errlen, "a logistic regression's class map or weights are damaged"), -1;
  return 0;
}
