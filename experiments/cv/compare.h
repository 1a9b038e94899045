/* The paired comparisons of an experiment's models: every pair, on track
 * accuracy (a track's prediction is the arg-max of its segments' mean
 * probability) by McNemar's exact test on the pooled tracks and by the
 * corrected resampled t-test over the folds, and on segment accuracy by the
 * corrected t-test (segments of one track are not independent, so McNemar
 * does not apply to them). */
#ifndef GENRE_COMPARE_H
#define GENRE_COMPARE_H

#include "cv.h"
#include "stats.h"

typedef struct compare_row {
  int a, b;           /* model indices: a - b (a later in the list than b) */
  const char *metric; /* "track_accuracy", "segment_accuracy" */
  const char *test;   /* "mcnemar-exact", "corrected-t" */
  comparison_t c;
  double p_holm;      /* c.p adjusted by Holm's step-down over the pairs of the same metric and test */
  size_t n;           /* tracks (McNemar) or fits (t-test) */
} compare_row_t;

typedef struct compare_input {
  const cv_result_t *const *result; /* [n_models]; NULL where a model did not run */
  int n_models;
  const int *y, *track;         /* per row */
  size_t rows, tracks;
  int K;
} compare_input_t;

/* Each track's verdict: the arg-max of the mean probability of its tested
 * segments (as the report's track accuracy and predict decide); -1 for a
 * track none of whose segments was tested. NULL when out of memory. */
int *track_verdicts(const compare_input_t *in, const cv_result_t *r);

/* Every pair (a later model against an earlier one) into *out (malloc'd):
 * the count, or -1 when out of memory. With many pairs some differences
 * look significant by chance: p_holm controls the family-wise error over the
 * pairs, per metric and test (Holm 1979). */
int compare_models(const compare_input_t *in, compare_row_t **out);

#endif
