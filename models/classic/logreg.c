/* Multinomial logistic regression with an L2 penalty, as scikit-learn's
 * LogisticRegression (lbfgs, C = 1, multinomial): the weights minimise
 *   |W|^2 / 2 + C sum_i -ln softmax(W x_i + b)[y_i]
 * (the intercepts not penalised), by L-BFGS (10 pairs, as scipy's L-BFGS-B
 * that scikit-learn calls) with a backtracking line search that tries the full
 * step first, the gradient from two BLAS GEMMs per evaluation, until no
 * gradient component exceeds 1e-4 (scikit-learn's lbfgs stops at the same
 * tolerance, pgtol).
 * Only the classes present in the training rows take part; the others get
 * probability 0. */
#include <gsl/gsl_vector.h>
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
} problem_t;

/* The objective at theta = [W (K x F) | b (K)], and its gradient when grad is not NULL. */
static double objective(const gsl_vector *theta, void *ctx, gsl_vector *grad) {
  problem_t *p = ctx;
  size_t F = p->F, K = (size_t)p->K;
  const double *W = theta->data, *b = theta->data + K * F;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->n, (int)K, (int)F, 1.0, p->x, (int)F, W, (int)F, 0.0,
              p->z, (int)K);
  double loss = 0, gb_sum[K];
  memset(gb_sum, 0, sizeof gb_sum);
  for (size_t i = 0; i < p->n; i++) {
    double *z = p->z + i * K, top = -INFINITY, sum = 0;
    for (size_t k = 0; k < K; k++) z[k] += b[k], top = z[k] > top ? z[k] : top;
    double truth = z[p->y[i]];
    for (size_t k = 0; k < K; k++) z[k] = exp(z[k] - top);
    for (size_t k = 0; k < K; k++) sum += z[k];
    loss += top + log(sum) - truth;
    double inv = 1 / sum;
    for (size_t k = 0; k < K; k++) z[k] = z[k] * inv - (k == (size_t)p->y[i]), gb_sum[k] += z[k];
  }
  double reg = 0;
  for (size_t j = 0; j < K * F; j++) reg += W[j] * W[j];
  if (grad) {
    double *gW = grad->data, *gb = grad->data + K * F;
    memcpy(gW, W, K * F * sizeof *gW);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)F, (int)p->n, p->C, p->z, (int)K, p->x, (int)F,
                1.0, gW, (int)F);
    for (size_t k = 0; k < K; k++) gb[k] = p->C * gb_sum[k];
  }
  return reg / 2 + p->C * loss;
}

/* f and its gradient g at x (d values). */
static double eval_at(problem_t *p, const double *x, double *g, size_t d) {
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, d);
  gsl_vector_view gv = gsl_vector_view_array(g, d);
  return objective(&xv.vector, p, &gv.vector);
}

static double dot(const double *a, const double *b, size_t d) { return cblas_ddot((int)d, a, 1, b, 1); }

#define PAIRS 10 /* L-BFGS's memory, as scipy's L-BFGS-B under scikit-learn (maxcor 10) */

typedef struct lbfgs {
  size_t d;
  double *s, *y, rho[PAIRS], alpha[PAIRS]; /* s[PAIRS][d], y[PAIRS][d]: the last steps and gradient changes */
  int pairs, newest;
} lbfgs_t;

/* dir = -H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4). */
static void direction(lbfgs_t *h, const double *g, double *dir) {
  size_t d = h->d;
  for (size_t j = 0; j < d; j++) dir[j] = -g[j];
  for (int n = 0; n < h->pairs; n++) {
    int i = (h->newest - n + PAIRS) % PAIRS;
    h->alpha[i] = h->rho[i] * dot(h->s + i * d, dir, d);
    cblas_daxpy((int)d, -h->alpha[i], h->y + i * d, 1, dir, 1);
  }
  if (h->pairs) { /* the initial Hessian: gamma I, gamma = s.y / y.y of the newest pair */
    const double *y = h->y + (size_t)h->newest * d;
    cblas_dscal((int)d, 1 / (h->rho[h->newest] * dot(y, y, d)), dir, 1);
  }
  for (int n = h->pairs - 1; n >= 0; n--) {
    int i = (h->newest - n + PAIRS) % PAIRS;
    double beta = h->rho[i] * dot(h->y + i * d, dir, d);
    cblas_daxpy((int)d, h->alpha[i] - beta, h->s + i * d, 1, dir, 1);
  }
}

/* The step along dir from x (value f, slope gd < 0) that decreases f enough
 * (Armijo, c1 = 1e-4), trying `step` first and then shorter ones by quadratic
 * interpolation; xn, gn, *fn receive the new point. The step, or 0. */
static double line_search(problem_t *p, const double *x, double f, const double *dir, double gd, double step,
                          double *xn, double *gn, double *fn, size_t d) {
  for (int tries = 0; tries < 40; tries++) {
    for (size_t j = 0; j < d; j++) xn[j] = x[j] + step * dir[j];
    *fn = eval_at(p, xn, gn, d);
    if (*fn <= f + 1e-4 * step * gd) return step;
    double q = -gd * step * step / (2 * (*fn - f - gd * step)); /* the minimum of the quadratic through f, gd, fn */
    step = isfinite(q) && q > 0.1 * step && q < 0.5 * step ? q : q <= 0.1 * step ? 0.1 * step : 0.5 * step;
  }
  return 0;
}

/* L-BFGS from zero weights until no gradient component exceeds 1e-4 (scipy's
 * pgtol under scikit-learn); x receives the minimum. The iterations, or -1. */
static int minimise(problem_t *p, double *x, size_t d) {
  double *buf = malloc((2 * PAIRS + 4) * d * sizeof *buf);
  if (!buf) return -1;
  lbfgs_t h = {.d = d, .s = buf, .y = buf + PAIRS * d, .newest = PAIRS - 1};
  double *g = buf + 2 * PAIRS * d, *gn = g + d, *xn = gn + d, *dir = xn + d;
  memset(x, 0, d * sizeof *x);
  double f = eval_at(p, x, g, d);
  int it = 0;
  for (; it < 5000; it++) {
    if (fabs(g[cblas_idamax((int)d, g, 1)]) <= 1e-4) break;
    direction(&h, g, dir);
    double gd = dot(g, dir, d);
    if (!(gd < 0)) h.pairs = 0, direction(&h, g, dir), gd = dot(g, dir, d); /* memory lost its way: steepest descent */
    double first = h.pairs ? 1 : fmin(1, 1 / cblas_dnrm2((int)d, g, 1)), fn;
    if (line_search(p, x, f, dir, gd, first, xn, gn, &fn, d) == 0) break; /* no decrease left: at the minimum */
    int i = (h.newest + 1) % PAIRS;
    double *s = h.s + (size_t)i * d, *y = h.y + (size_t)i * d;
    for (size_t j = 0; j < d; j++) s[j] = xn[j] - x[j], y[j] = gn[j] - g[j];
    double sy = dot(s, y, d);
    if (sy > 1e-10 * dot(y, y, d)) h.rho[i] = 1 / sy, h.newest = i, h.pairs += h.pairs < PAIRS;
    memcpy(x, xn, d * sizeof *x), memcpy(g, gn, d * sizeof *g), f = fn;
  }
  free(buf);
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
  c->w = malloc((size_t)P * (F + 1) * sizeof *c->w);
  if (!p.z || !c->w || (c->iterations = minimise(&p, c->w, (size_t)P * (F + 1))) < 0) goto oom;
  c->P = P;
  free(present), free(yy), free(dx), free(p.z);
  return c;
oom:
  snprintf(err, errlen, "out of memory");
  free(present), free(yy), free(dx), free(p.z), classic_free(c);
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
