#include "compare.h"

#include <math.h>
#include <stdlib.h>

/* Per track: 1 when the arg-max of its mean probability is its label, 0 when
 * not, -1 when it was not tested. NULL when out of memory. */
static int *track_correct(const compare_input_t *in, const cv_result_t *r) {
  int *vote = malloc(in->tracks * sizeof(int)), *mean = malloc(in->tracks * sizeof(int));
  int *truth = malloc(in->tracks * sizeof(int));
  if (vote && mean && truth) {
    track_predictions(r->probs, in->y, in->track, in->rows, in->tracks, in->K, vote, mean, truth);
    for (size_t t = 0; t < in->tracks; t++) truth[t] = truth[t] < 0 ? -1 : mean[t] == truth[t];
  } else {
    free(truth), truth = NULL;
  }
  free(vote), free(mean);
  return truth;
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
