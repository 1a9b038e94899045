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

#define COMPARE_MAX 16

typedef struct compare_row {
  int a, b;           /* model indices: a - b */
  const char *metric; /* "track_accuracy", "segment_accuracy" */
  const char *test;   /* "mcnemar-exact", "corrected-t" */
  comparison_t c;
  size_t n;           /* tracks (McNemar) or fits (t-test) */
} compare_row_t;

typedef struct compare_input {
  const cv_result_t *result[3]; /* NULL where a model did not run */
  const int *y, *track;         /* per row */
  size_t rows, tracks;
  int K;
} compare_input_t;

/* Each track's verdict: the arg-max of the mean probability of its tested
 * segments (as the report's track accuracy and predict decide); -1 for a
 * track none of whose segments was tested. NULL when out of memory. */
int *track_verdicts(const compare_input_t *in, const cv_result_t *r);

/* Fills out[] (at most COMPARE_MAX); returns the count. */
int compare_models(const compare_input_t *in, compare_row_t *out);

#endif
