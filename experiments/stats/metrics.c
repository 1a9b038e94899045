#include "metrics.h"

#include <stdlib.h>
#include <string.h>

int argmax(const real *p, int K) {
  int best = 0;
  for (int k = 1; k < K; k++)
    if (p[k] > p[best]) best = k;
  return best;
}

int metrics_init(metrics_t *m, int K) {
  memset(m, 0, sizeof *m);
  m->K = K;
  m->precision = calloc((size_t)K, sizeof(double));
  m->recall = calloc((size_t)K, sizeof(double));
  m->f1 = calloc((size_t)K, sizeof(double));
  m->confusion = calloc((size_t)K * K, sizeof(long));
  if (!m->precision || !m->recall || !m->f1 || !m->confusion) {
    metrics_free(m);
    return -1;
  }
  return 0;
}

void metrics_free(metrics_t *m) {
  free(m->precision), free(m->recall), free(m->f1), free(m->confusion);
  memset(m, 0, sizeof *m);
}

void metrics_add(metrics_t *m, const real *probs, const int *y, size_t n) {
  int K = m->K;
  for (size_t i = 0; i < n; i++) {
    const real *p = probs + i * K;
    int first = argmax(p, K), second = first == 0 ? 1 : 0;
    for (int k = 0; k < K; k++)
      if (k != first && p[k] > p[second]) second = k;
    m->confusion[(size_t)y[i] * K + first]++;
    m->top2 += y[i] == first || y[i] == second;
    m->n++;
  }
}

void metrics_add_class(metrics_t *m, int predicted, int truth) {
  m->confusion[(size_t)truth * m->K + predicted]++;
  m->top2 += predicted == truth;
  m->n++;
}

void metrics_finish(metrics_t *m) {
  int K = m->K;
  long correct = 0;
  double f1_sum = 0;
  for (int k = 0; k < K; k++) {
    long tp = m->confusion[(size_t)k * K + k], row = 0, col = 0;
    for (int j = 0; j < K; j++) row += m->confusion[(size_t)k * K + j], col += m->confusion[(size_t)j * K + k];
    correct += tp;
    m->precision[k] = col ? (double)tp / col : 0.0;
    m->recall[k] = row ? (double)tp / row : 0.0;
    double pr = m->precision[k] + m->recall[k];
    m->f1[k] = pr > 0 ? 2 * m->precision[k] * m->recall[k] / pr : 0.0;
    f1_sum += m->f1[k];
  }
  m->accuracy = m->n ? (double)correct / m->n : 0.0;
  m->top2 = m->n ? m->top2 / m->n : 0.0;
  m->macro_f1 = K ? f1_sum / K : 0.0;
}

void track_predictions(const real *probs, const int *y, const int *group, size_t n, size_t n_groups, int K,
                       int *vote, int *mean, int *truth) {
  long *votes = calloc(n_groups * (size_t)K, sizeof(long));
  double *sum = calloc(n_groups * (size_t)K, sizeof(double));
  for (size_t g = 0; g < n_groups; g++) truth[g] = vote[g] = mean[g] = -1;
  if (!votes || !sum) {
    free(votes), free(sum);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const real *p = probs + i * K;
    size_t g = (size_t)group[i];
    truth[g] = y[i];
    votes[g * K + argmax(p, K)]++;
    for (int k = 0; k < K; k++) sum[g * K + k] += p[k];
  }
  for (size_t g = 0; g < n_groups; g++) {
    if (truth[g] < 0) continue;
    int v = 0, s = 0;
    for (int k = 1; k < K; k++) {
      long a = votes[g * K + k], b = votes[g * K + v];
      if (a > b || (a == b && sum[g * K + k] > sum[g * K + v])) v = k;
      if (sum[g * K + k] > sum[g * K + s]) s = k;
    }
    vote[g] = v, mean[g] = s;
  }
  free(votes), free(sum);
}

void metrics_print(FILE *f, const metrics_t *m, char *const *labels) {
  int K = m->K, w = 9;
  for (int k = 0; k < K; k++) {
    int len = (int)strlen(labels[k]);
    if (len > w) w = len;
  }
  fprintf(f, "accuracy %.4f  top-2 %.4f  macro F1 %.4f  (%zu predictions)\n\n", m->accuracy, m->top2,
          m->macro_f1, m->n);
  fprintf(f, "%-*s  precision  recall      F1  support\n", w, "class");
  for (int k = 0; k < K; k++) {
    long support = 0;
    for (int j = 0; j < K; j++) support += m->confusion[(size_t)k * K + j];
    fprintf(f, "%-*s  %9.4f  %6.4f  %6.4f  %7ld\n", w, labels[k], m->precision[k], m->recall[k], m->f1[k], support);
  }
  fprintf(f, "\nconfusion matrix (rows: true label, columns: predicted)\n%-*s", w, "");
  int cw = 5;
  for (int k = 0; k < K; k++) {
    int len = (int)strlen(labels[k]);
    if (len + 1 > cw) cw = len + 1 > 10 ? 10 : len + 1;
  }
  for (int k = 0; k < K; k++) fprintf(f, " %*.*s", cw, cw, labels[k]);
  fputc('\n', f);
  for (int k = 0; k < K; k++) {
    fprintf(f, "%-*s", w, labels[k]);
    for (int j = 0; j < K; j++) fprintf(f, " %*ld", cw, m->confusion[(size_t)k * K + j]);
    fputc('\n', f);
  }
}
