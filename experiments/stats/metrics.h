/* Classification metrics from predicted probabilities: accuracy, top-2
 * accuracy, per-class precision / recall / F1, macro F1, confusion matrix
 * (rows true, columns predicted); and per-track predictions by majority vote
 * and by mean probability. */
#ifndef GENRE_METRICS_H
#define GENRE_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "real.h"

typedef struct metrics {
  int K;
  size_t n;
  double accuracy, top2, macro_f1;
  double *precision, *recall, *f1; /* [K] */
  long *confusion;                 /* [K][K] */
} metrics_t;

int metrics_init(metrics_t *m, int K); /* zeroed; -1 when out of memory */
void metrics_free(metrics_t *m);

/* Adds n predictions (probs[n][K], true labels y) to the counts. */
void metrics_add(metrics_t *m, const real *probs, const int *y, size_t n);
/* Adds one prediction given as a class (top-2 counts it only when right). */
void metrics_add_class(metrics_t *m, int predicted, int truth);
/* Computes the rates from the counts (call after the adds). */
void metrics_finish(metrics_t *m);

/* Track predictions: for each track (group) of the n rows, the class most
 * rows predict (ties: the larger summed probability) and the class of the
 * largest mean probability. vote[n_groups], mean[n_groups], truth[n_groups]
 * (-1 for tracks without rows). */
void track_predictions(const real *probs, const int *y, const int *group, size_t n, size_t n_groups, int K,
                       int *vote, int *mean, int *truth);

int argmax(const real *p, int K);

/* Accuracy, top-2, macro F1, a per-class table (precision, recall, F1,
 * support) and the confusion matrix with label names (rows true, columns
 * predicted), as text. */
void metrics_print(FILE *f, const metrics_t *m, char *const *labels);

#endif
