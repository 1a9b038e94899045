/* Batch normalisation (Ioffe & Szegedy 2015) over the channels of
 * x[B][C][S]: statistics per channel across B*S values. */
#include <math.h>

#include "layers.h"

void batchnorm_forward_train(real *out, real *xhat, real *invstd, real *running_mean,
                             real *running_var, const real *in, const real *gamma,
                             const real *beta, int B, int C, int S, real eps, real momentum) {
  double n = (double)B * S;
  for (int c = 0; c < C; c++) {
    double sum = 0, sq = 0;
    for (int b = 0; b < B; b++) {
      const real *x = in + ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) sum += x[s];
    }
    double mean = sum / n;
    for (int b = 0; b < B; b++) {
      const real *x = in + ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) sq += (x[s] - mean) * (x[s] - mean);
    }
    double var = sq / n; /* biased: what normalises the batch */
    double is = 1.0 / sqrt(var + eps);
    invstd[c] = (real)is;
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) {
        real xh = (real)((in[at + s] - mean) * is);
        xhat[at + s] = xh;
        out[at + s] = gamma[c] * xh + beta[c];
      }
    }
    running_mean[c] = (real)(momentum * running_mean[c] + (1 - momentum) * mean);
    running_var[c] = (real)(momentum * running_var[c] + (1 - momentum) * var);
  }
}

void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int B, int C, int S,
                            real eps) {
  for (int c = 0; c < C; c++) {
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
  double n = (double)B * S;
  for (int c = 0; c < C; c++) {
    double sdy = 0, sdyx = 0;
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) sdy += dout[at + s], sdyx += dout[at + s] * xhat[at + s];
    }
    dgamma[c] = (real)sdyx;
    dbeta[c] = (real)sdy;
    if (!din) continue;
    double k = gamma[c] * invstd[c] / n;
    for (int b = 0; b < B; b++) {
      size_t at = ((size_t)b * C + c) * S;
      for (int s = 0; s < S; s++) din[at + s] = (real)(k * (n * dout[at + s] - sdy - xhat[at + s] * sdyx));
    }
  }
}
