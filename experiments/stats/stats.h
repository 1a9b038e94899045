/* Paired comparisons of two classifiers on the same test items, as the
 * literature does them: McNemar's exact test on the pooled items (McNemar
 * 1947; the binomial form, as statsmodels' mcnemar(exact=True)), and over
 * repeated cross-validation folds the corrected resampled t-test (Nadeau &
 * Bengio 2003), whose variance term (1/J + n_test/n_train) accounts for the
 * overlap of training sets that makes the plain paired t-test over folds
 * overconfident. */
#ifndef GENRE_STATS_H
#define GENRE_STATS_H

#include <stddef.h>

typedef struct comparison {
  double difference;     /* a - b */
  double ci_low, ci_high; /* 95% */
  double p;              /* two-sided */
} comparison_t;

/* McNemar's exact test from the discordant counts: a_only items a got right
 * and b wrong, b_only the reverse, of n items. The difference of accuracies
 * (a_only - b_only) / n; its 95% interval the exact conditional one that
 * goes with the test: given the d = a_only + b_only discordant items, the
 * Clopper-Pearson interval [lo, hi] of a_only's share, mapped to
 * d / n * (2 lo - 1, 2 hi - 1) (so it excludes 0 when p < 0.05, up to the
 * test's discreteness); p = min(1, 2 P(X <= min(a_only, b_only))),
 * X ~ Binomial(d, 1/2) (1 when there is no discordant item). */
comparison_t mcnemar_exact(size_t a_only, size_t b_only, size_t n);

/* The corrected resampled t-test on per-fit differences d[J] (J >= 2 fits of
 * a cross-validation, possibly repeated), each fit trained on n_train items
 * and tested on n_test: t = mean / sqrt((1/J + n_test/n_train) var), var the
 * sample variance of d, J - 1 degrees of freedom; the 95% interval with the
 * same variance. All differences equal: p = 1 when they are 0, else 0. */
comparison_t corrected_t(const double *d, size_t J, double n_test, double n_train);

#endif
