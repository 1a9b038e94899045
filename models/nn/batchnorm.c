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

/* channel c of x[B][C][S]: the sum, and the sum of squared deviations from m */
static double channel_sum(const real *in, int B, int C, int S, int c) {
  double sum = 0;
  for (int b = 0; b < B; b++) sum += lane_sum(in + ((size_t)b * C + c) * S, (size_t)S);
  return sum;
}
static double channel_dev(const real *in, int B, int C, int S, int c, double m) {
  double sq = 0;
  for (int b = 0; b < B; b++) sq += lane_sq(in + ((size_t)b * C + c) * S, (size_t)S, m);
  return sq;
}

/* channel c normalised with the batch's mean and (biased) variance; the running ones updated */
static void channel_normalize(real *out, real *xhat, real *invstd, real *running_mean, real *running_var,
                              const real *in, const real *gamma, const real *beta, int B, int C, int S, int c,
                              double mean, double var, real eps, real momentum) {
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

HOT_KERNEL
void batchnorm_forward_train_range(real *out, real *xhat, real *invstd, real *running_mean, real *running_var,
                                   const real *in, const real *gamma, const real *beta, int B, int C, int S, real eps,
                                   real momentum, int c0, int c1) {
  double n = (double)B * S;
  for (int c = c0; c < c1; c++) {
    double mean = channel_sum(in, B, C, S, c) / n;
    double var = channel_dev(in, B, C, S, c, mean) / n; /* biased: what normalises the batch */
    channel_normalize(out, xhat, invstd, running_mean, running_var, in, gamma, beta, B, C, S, c, mean, var, eps,
                      momentum);
  }
}

HOT_KERNEL
void batchnorm_sums(const real *in, int B, int C, int S, double *sum) {
  for (int c = 0; c < C; c++) sum[c] = channel_sum(in, B, C, S, c);
}

HOT_KERNEL
void batchnorm_deviations(const real *in, int B, int C, int S, const double *mean, double *dev) {
  for (int c = 0; c < C; c++) dev[c] = channel_dev(in, B, C, S, c, mean[c]);
}

HOT_KERNEL
void batchnorm_normalize(real *out, real *xhat, real *invstd, real *running_mean, real *running_var, const real *in,
                         const real *gamma, const real *beta, int B, int C, int S, const double *mean,
                         const double *var, real eps, real momentum) {
  for (int c = 0; c < C; c++)
    channel_normalize(out, xhat, invstd, running_mean, running_var, in, gamma, beta, B, C, S, c, mean[c], var[c], eps,
                      momentum);
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

/* channel c's sums of dy and of dy * xhat */
static void channel_dots(const real *dout, const real *xhat, int B, int C, int S, int c, double *sdy, double *sdyx) {
  *sdy = *sdyx = 0;
  for (int b = 0; b < B; b++) {
    size_t at = ((size_t)b * C + c) * S;
    lane_dot2(dout + at, xhat + at, (size_t)S, sdy, sdyx);
  }
}

/* channel c's input gradient from the sums of dy and dy * xhat over n values */
static void channel_din(real *din, const real *dout, const real *xhat, const real *invstd, const real *gamma, int B,
                        int C, int S, int c, double sdy, double sdyx, double n) {
  real k = (real)(gamma[c] * invstd[c] / n), nn = (real)n, a = (real)sdy, bx = (real)sdyx;
  for (int b = 0; b < B; b++) {
    size_t at = ((size_t)b * C + c) * S;
    for (int s = 0; s < S; s++) din[at + s] = k * (nn * dout[at + s] - a - xhat[at + s] * bx);
  }
}

HOT_KERNEL
void batchnorm_backward_range(real *din, real *dgamma, real *dbeta, const real *dout, const real *xhat,
                              const real *invstd, const real *gamma, int B, int C, int S, int c0, int c1) {
  double n = (double)B * S;
  for (int c = c0; c < c1; c++) {
    double sdy, sdyx;
    channel_dots(dout, xhat, B, C, S, c, &sdy, &sdyx);
    dgamma[c] = (real)sdyx;
    dbeta[c] = (real)sdy;
    if (din) channel_din(din, dout, xhat, invstd, gamma, B, C, S, c, sdy, sdyx, n);
  }
}

HOT_KERNEL
void batchnorm_backward_sums(const real *dout, const real *xhat, int B, int C, int S, double *sdy, double *sdyx) {
  for (int c = 0; c < C; c++) channel_dots(dout, xhat, B, C, S, c, &sdy[c], &sdyx[c]);
}

HOT_KERNEL
void batchnorm_backward_input(real *din, const real *dout, const real *xhat, const real *invstd, const real *gamma,
                              int B, int C, int S, const double *sdy, const double *sdyx, double n) {
  for (int c = 0; c < C; c++) channel_din(din, dout, xhat, invstd, gamma, B, C, S, c, sdy[c], sdyx[c], n);
}
