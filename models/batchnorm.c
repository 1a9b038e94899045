/* Batch normalisation (Ioffe & Szegedy 2015) over the channels of
 * x[B][C][S]: statistics per channel across B*S values. */
#include <math.h>

#include "layers.h"
#include "simd.h"

/* sum and sum of squared deviations of x[0..n) from m, eight lanes in double */
static inline double lane_sum(const real *x, size_t n) {
  double l[8] = {0}, s = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) l[k] += x[i + k];
  for (; i < n; i++) s += x[i];
  for (int k = 0; k < 8; k++) s += l[k];
  return s;
}
static inline double lane_sq(const real *x, size_t n, double m) {
  double l[8] = {0}, s = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) l[k] += (x[i + k] - m) * (x[i + k] - m);
  for (; i < n; i++) s += (x[i] - m) * (x[i] - m);
  for (int k = 0; k < 8; k++) s += l[k];
  return s;
}
static inline void lane_dot2(const real *dy, const real *xh, size_t n, double *sdy, double *sdyx) {
  double a[8] = {0}, b[8] = {0}, sa = 0, sb = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) a[k] += dy[i + k], b[k] += dy[i + k] * xh[i + k];
  for (; i < n; i++) sa += dy[i], sb += dy[i] * xh[i];
  for (int k = 0; k < 8; k++) sa += a[k], sb += b[k];
  *sdy += sa, *sdyx += sb;
}

void batchnorm_forward_train(real *out, real *xhat, real *invstd, real *running_mean,
                             real *running_var, const real *in, const real *gamma,
                             const real *beta, int B, int C, int S, real eps, real momentum) {
  batchnorm_forward_train_range(out, xhat, invstd, running_mean, running_var, in, gamma, beta, B, C, S, eps, momentum,
                                0, C);
}

HOT_KERNEL
void batchnorm_forward_train_range(real *out, real *xhat, real *invstd, real *running_mean, real *running_var,
                                   const real *in, const real *gamma, const real *beta, int B, int C, int S, real eps,
                                   real momentum, int c0, int c1) {
  double n = (double)B * S;
  for (int c = c0; c < c1; c++) {
    double sum = 0, sq = 0;
    for (int b = 0; b < B; b++) sum += lane_sum(in + ((size_t)b * C + c) * S, (size_t)S);
    double mean = sum / n;
    for (int b = 0; b < B; b++) sq += lane_sq(in + ((size_t)b * C + c) * S, (size_t)S, mean);
    double var = sq / n; /* biased: what normalises the batch */
    double is = 1.0 / sqrt(var + eps);
    invstd[c] = (real)is;
    real m = (real)mean, k = (real)is, g = gamma[c], bt = beta[c];
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) {
        real xh = (in[at + s] - m) * k;
        xhat[at + s] = xh;
        out[at + s] = g * xh + bt;
      }
    }
    running_mean[c] = (real)(momentum * running_mean[c] + (1 - momentum) * mean);
    running_var[c] = (real)(momentum * running_var[c] + (1 - momentum) * var);
  }
}

void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int B, int C, int S,
                            real eps) {
  batchnorm_forward_eval_range(out, in, gamma, beta, running_mean, running_var, B, C, S, eps, 0, C);
}

void batchnorm_forward_eval_range(real *out, const real *in, const real *gamma, const real *beta,
                                  const real *running_mean, const real *running_var, int B, int C, int S, real eps,
                                  int c0, int c1) {
  for (int c = c0; c < c1; c++) {
    real scale = (real)(gamma[c] / sqrt((double)running_var[c] + eps));
    real shift = beta[c] - scale * running_mean[c];
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) out[at + s] = scale * in[at + s] + shift;
    }
  }
}

/* dx = gamma * invstd / N * (N dy - sum(dy) - xhat * sum(dy * xhat)) */
void batchnorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *xhat,
                        const real *invstd, const real *gamma, int B, int C, int S) {
  batchnorm_backward_range(din, dgamma, dbeta, dout, xhat, invstd, gamma, B, C, S, 0, C);
}

HOT_KERNEL
void batchnorm_backward_range(real *din, real *dgamma, real *dbeta, const real *dout, const real *xhat,
                              const real *invstd, const real *gamma, int B, int C, int S, int c0, int c1) {
  double n = (double)B * S;
  for (int c = c0; c < c1; c++) {
    double sdy = 0, sdyx = 0;
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      lane_dot2(dout + at, xhat + at, (size_t)S, &sdy, &sdyx);
    }
    dgamma[c] = (real)sdyx;
    dbeta[c] = (real)sdy;
    if (!din) continue;
    real k = (real)(gamma[c] * invstd[c] / n), nn = (real)n, a = (real)sdy, bx = (real)sdyx;
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) din[at + s] = k * (nn * dout[at + s] - a - xhat[at + s] * bx);
    }
  }
}
