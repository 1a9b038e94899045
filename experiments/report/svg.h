/* The report's pictures as SVG, written by hand: well-formed XML that opens in
 * any browser. */
#ifndef GENRE_SVG_H
#define GENRE_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Confusion matrix heatmap: K x K cells (rows true, columns predicted), colour
 * by the row-normalised share, the count written in each cell, label names on
 * both axes, `title` on top. */
void svg_confusion(FILE *f, const long *confusion, int K, char *const *labels, const char *title);

/* Learning curves: two panels (loss, accuracy) over epochs; each series is
 * `epochs` values (NaN: absent). */
typedef struct curve {
  const char *name;
  const double *values;
  const char *colour;
  int dashed;
} curve_t;
void svg_curves(FILE *f, const char *title, int epochs, const curve_t *loss, int n_loss, const curve_t *acc, int n_acc);

/* Reliability diagram: per confidence bin, a bar of its accuracy (its count
 * above), a dot at its mean confidence, and the diagonal of perfect calibration. */
void svg_reliability(FILE *f, const char *title, const size_t *count, const double *confidence, const double *accuracy,
                     int bins);

/* Horizontal bars, one per name, longest first as given: value (with a
 * +- spread whisker when spread is not NULL), the axis' caption below. */
void svg_bars(FILE *f, const char *title, char *const *names, const double *value, const double *spread, int n,
              const char *axis);

/* The models ranked, one row each as given (best first): a dot at value
 * and a line over its interval [lo, hi] (NaN: none) on an axis shared by all,
 * and at the right a bar beside each group[g] = {first, last} of rows whose
 * differences are not significant (a critical-difference diagram's reading). */
void svg_ranking(FILE *f, const char *title, const char *const *names, const double *value, const double *lo,
                 const double *hi, int n, const int (*group)[2], int n_groups, const char *axis);

/* text with &, <, >, " escaped */
void svg_text(FILE *f, const char *s);

#endif
