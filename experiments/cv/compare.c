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

int compare_models(const compare_input_t *in, compare_row_t *out) {
  static const int pairs[3][2] = {{1, 0}, {2, 0}, {2, 1}}; /* CNN - ANN, ensemble - ANN, ensemble - CNN */
  int n = 0;
  for (int p = 0; p < 3; p++) {
    const cv_result_t *a = in->result[pairs[p][0]], *b = in->result[pairs[p][1]];
    if (!a || !b) continue;
    int *a_ok = track_correct(in, a), *b_ok = track_correct(in, b);
    compare_row_t rows[3] = {{0}};
    int k = 0;
    if (a_ok && b_ok) rows[k++] = mcnemar_row(a_ok, b_ok, in->tracks);
    if (a->folds >= 2 && b->folds >= 2) {
      rows[k++] = folds_row(a, b, in->rows, 1);
      rows[k++] = folds_row(a, b, in->rows, 0);
    }
    for (int i = 0; i < k && n < COMPARE_MAX; i++) {
      rows[i].a = pairs[p][0], rows[i].b = pairs[p][1];
      out[n++] = rows[i];
    }
    free(a_ok), free(b_ok);
  }
  return n;
}
