#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int *track_verdicts(const compare_input_t *in, const cv_result_t *r) {
  size_t T = in->tracks ? in->tracks : 1, R = in->rows ? in->rows : 1, n = 0;
  int *vote = malloc(T * sizeof(int)), *mean = malloc(T * sizeof(int)), *truth = malloc(T * sizeof(int));
  real *p = malloc(R * (size_t)in->K * sizeof(real));
  int *y = malloc(R * sizeof(int)), *g = malloc(R * sizeof(int)), ok = vote && mean && truth && p && y && g;
  for (size_t i = 0; ok && i < in->rows; i++) /* the tested rows only (a random split tests one fold) */
    if (r->fold_of_row[i] < r->folds) {
      memcpy(p + n * in->K, r->probs + i * in->K, (size_t)in->K * sizeof(real));
      y[n] = in->y[i], g[n] = in->track[i], n++;
    }
  if (ok) {
    track_predictions(p, y, g, n, in->tracks, in->K, vote, mean, truth);
    for (size_t t = 0; t < in->tracks; t++) mean[t] = truth[t] < 0 ? -1 : mean[t];
  }
  free(vote), free(truth), free(p), free(y), free(g);
  if (!ok) free(mean), mean = NULL;
  return mean;
}

/* Per track: 1 when its verdict is its label, 0 when not, -1 when it was not
 * tested. NULL when out of memory. */
static int *track_correct(const compare_input_t *in, const cv_result_t *r) {
  int *v = track_verdicts(in, r);
  int *truth = calloc(in->tracks ? in->tracks : 1, sizeof(int));
  if (!v || !truth) return free(v), free(truth), NULL;
  for (size_t i = 0; i < in->rows; i++) truth[in->track[i]] = in->y[i];
  for (size_t t = 0; t < in->tracks; t++) v[t] = v[t] < 0 ? -1 : v[t] == truth[t];
  free(truth);
  return v;
}

static compare_row_t mcnemar_row(const int *a_ok, const int *b_ok, size_t tracks) {
  size_t a_only = 0, b_only = 0, n = 0;
  for (size_t t = 0; t < tracks; t++) {
    if (a_ok[t] < 0 || b_ok[t] < 0) continue;
    n++;
    a_only += a_ok[t] && !b_ok[t], b_only += b_ok[t] && !a_ok[t];
  }
  return (compare_row_t){.metric = "track_accuracy", .test = "mcnemar-exact", .c = mcnemar_exact(a_only, b_only, n), .n = n};
}

/* Over the folds both results share: differences of a per-fold field. */
static compare_row_t folds_row(const cv_result_t *a, const cv_result_t *b, size_t rows, int track_field) {
  int J = a->folds < b->folds ? a->folds : b->folds;
  double d[256] = {0}, n_test = 0;
  if (J > 256) J = 256;
  for (int f = 0; f < J; f++) {
    d[f] = track_field ? a->fold[f].track_mean - b->fold[f].track_mean : a->fold[f].accuracy - b->fold[f].accuracy;
    n_test += (double)a->fold[f].n_test / J;
  }
  comparison_t c = corrected_t(d, (size_t)J, n_test, (double)rows - n_test);
  c.ci_low = fmax(c.ci_low, -1.0), c.ci_high = fmin(c.ci_high, 1.0); /* a difference of proportions */
  return (compare_row_t){.metric = track_field ? "track_accuracy" : "segment_accuracy", .test = "corrected-t", .c = c,
                         .n = (size_t)J};
}

/* Holm's step-down adjustment of the rows whose metric and test are row
 * `first`'s: the i-th smallest of m p-values times (m - i), made monotone,
 * at most 1. */
static void holm(compare_row_t *rows, int n, int first) {
  int idx[n], m = 0;
  for (int i = first; i < n; i++)
    if (strcmp(rows[i].metric, rows[first].metric) == 0 && strcmp(rows[i].test, rows[first].test) == 0) idx[m++] = i;
  for (int i = 1; i < m; i++) /* by p, ascending (insertion: stable, few rows) */
    for (int j = i; j > 0 && rows[idx[j]].c.p < rows[idx[j - 1]].c.p; j--) {
      int t = idx[j];
      idx[j] = idx[j - 1], idx[j - 1] = t;
    }
  double run = 0;
  for (int i = 0; i < m; i++) {
    double q = fmin(1.0, (double)(m - i) * rows[idx[i]].c.p);
    run = fmax(run, q);
    rows[idx[i]].p_holm = run;
  }
}

int compare_models(const compare_input_t *in, compare_row_t **out) {
  int M = in->n_models, n = 0;
  compare_row_t *rows = malloc((size_t)(3 * M * (M - 1) / 2 + 1) * sizeof *rows);
  int **ok = calloc((size_t)M + 1, sizeof *ok);
  if (!rows || !ok) return free(rows), free(ok), -1;
  for (int m = 0; m < M; m++) ok[m] = in->result[m] ? track_correct(in, in->result[m]) : NULL;
  for (int a = 1; a < M; a++)
    for (int b = 0; b < a; b++) { /* the later model minus the earlier, as the list reads */
      const cv_result_t *ra = in->result[a], *rb = in->result[b];
      if (!ra || !rb) continue;
      int k0 = n;
      if (ok[a] && ok[b]) rows[n++] = mcnemar_row(ok[a], ok[b], in->tracks);
      if (ra->folds >= 2 && rb->folds >= 2) rows[n++] = folds_row(ra, rb, in->rows, 1), rows[n++] = folds_row(ra, rb, in->rows, 0);
      for (int i = k0; i < n; i++) rows[i].a = a, rows[i].b = b;
    }
  for (int m = 0; m < M; m++) free(ok[m]);
  free(ok);
  unsigned char done[n + 1];
  memset(done, 0, sizeof done);
  for (int i = 0; i < n; i++) { /* each family once */
    if (done[i]) continue;
    holm(rows, n, i);
    for (int j = i; j < n; j++)
      done[j] |= strcmp(rows[j].metric, rows[i].metric) == 0 && strcmp(rows[j].test, rows[i].test) == 0;
  }
  *out = rows;
  return n;
}
