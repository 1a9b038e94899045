#include <math.h>

#include "layers.h"

void softmax(real *probs, const real *logits, int B, int K) {
  for (int n = 0; n < B; n++) {
    const real *z = logits + (size_t)n * K;
    real *p = probs + (size_t)n * K;
    real top = z[0];
    for (int k = 1; k < K; k++) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += p[k] = (real)exp((double)(z[k] - top));
    for (int k = 0; k < K; k++) p[k] = (real)(p[k] / sum);
  }
}

/* the sum over the batch of -log softmax(z)[y] / denom; dlogits = (p - onehot(y)) / denom */
static double xent(real *probs, real *dlogits, const real *logits, const int *y, int B, int K, double denom) {
  double loss = 0;
  for (int n = 0; n < B; n++) {
    const real *z = logits + (size_t)n * K;
    real top = z[0];
    for (int k = 1; k < K; k++) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)(z[k] - top));
    double log_sum = log(sum);
    loss -= (double)(z[y[n]] - top) - log_sum; /* log-sum-exp, stable */
    for (int k = 0; k < K; k++) {
      double p = exp((double)(z[k] - top) - log_sum);
      if (probs) probs[(size_t)n * K + k] = (real)p;
      if (dlogits) dlogits[(size_t)n * K + k] = (real)((p - (k == y[n])) / denom);
    }
  }
  return loss / denom;
}

double softmax_xent(real *probs, real *dlogits, const real *logits, const int *y, int B, int K) {
  return xent(probs, dlogits, logits, y, B, K, B);
}

double softmax_xent_smooth(real *probs, real *dlogits, const real *logits, const int *y, int B, int K, real e,
                           double denom) {
  if (e == 0) return xent(probs, dlogits, logits, y, B, K, denom);
  double loss = 0;
  for (int n = 0; n < B; n++) {
    const real *z = logits + (size_t)n * K;
    real top = z[0];
    for (int k = 1; k < K; k++) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)(z[k] - top));
    double log_sum = log(sum);
    for (int k = 0; k < K; k++) {
      double logp = (double)(z[k] - top) - log_sum, target = (k == y[n]) * (1.0 - e) + e / K;
      loss -= target * logp;
      if (probs) probs[(size_t)n * K + k] = (real)exp(logp);
      if (dlogits) dlogits[(size_t)n * K + k] = (real)((exp(logp) - target) / denom);
    }
  }
  return loss / denom;
}

double softmax_xent_soft(real *probs, real *dlogits, const real *logits, const real *t, int B, int K, double denom) {
  double loss = 0;
  for (int n = 0; n < B; n++) {
    const real *z = logits + (size_t)n * K, *tn = t + (size_t)n * K;
    real top = z[0];
    for (int k = 1; k < K; k++) top = z[k] > top ? z[k] : top;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)(z[k] - top));
    double log_sum = log(sum);
    for (int k = 0; k < K; k++) {
      double logp = (double)(z[k] - top) - log_sum;
      loss -= tn[k] * logp;
      if (probs) probs[(size_t)n * K + k] = (real)exp(logp);
      if (dlogits) dlogits[(size_t)n * K + k] = (real)((exp(logp) - tn[k]) / denom);
    }
  }
  return loss / denom;
}
