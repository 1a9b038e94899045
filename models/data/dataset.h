/* A feature table as the ANN sees it: any CSV in the Kaggle schema. `label`
 * is the class; `filename` and `length` are not features; every other column
 * must be numeric and finite. Rows named <stem>.<k>.wav (k without leading
 * zeros, as the 3-s tables write it) are segments of track <stem>; other rows
 * are tracks of their own (GTZAN's blues.00000.wav is a track, not segment
 * 00000 of "blues"). */
#ifndef GENRE_DATASET_H
#define GENRE_DATASET_H

#include <stddef.h>

#include "real.h"

/* Larger feature values are refused: standardising them in float32 would
 * overflow (the GTZAN features stay below 1e8). */
#define DATASET_MAX_VALUE 1e30

typedef struct dataset {
  size_t n_rows, n_features;
  char **feature_names; /* [n_features] */
  real *x;              /* [n_rows][n_features] */
  int *y;               /* [n_rows], index into labels */
  int n_classes;
  char **labels;        /* [n_classes], sorted */
  int *group;           /* [n_rows], index into groups */
  size_t n_groups;
  char **groups;        /* track names */
  char **names;         /* [n_rows]: filename */
  int segmented;        /* some track has several rows */
  size_t n_ignored;     /* columns not read: not among a model's features, or --ignore-columns */
  char ignored[64];     /* the first of them */
  char path[1024];
} dataset_t;

/* Reads a feature CSV. With `labels` (a model's, n_labels of them) the classes
 * are those, in that order, and a label outside them is an error; otherwise
 * the labels found, sorted. With `features` those columns are read by name
 * (any order; a missing one is an error, others are counted in n_ignored and
 * not read); otherwise every other column must be numeric. Errors name the file, row and
 * column. */
int dataset_load(const char *path, char *const *labels, int n_labels, char *const *features,
                 size_t n_features, dataset_t *d, char *err, size_t errlen);
void dataset_free(dataset_t *d);

/* The dataset a table would give, from values in memory (the Python
 * package's fit): x[n_rows][n_features] under the names features[], each
 * row's label and name (its `filename`: "<stem>.<k>.wav" groups segments of
 * a track, as in a table). The same checks, classes (sorted) and tracks as
 * dataset_load; `what` stands for the path in messages. 0, or -1 with the reason. */
int dataset_from_memory(const char *what, const double *x, size_t n_rows, size_t n_features, char *const *features,
                        char *const *labels, char *const *names, dataset_t *d, char *err, size_t errlen);

/* Columns (a comma-separated list of names) that later loads without a
 * model's features do not read, counted in n_ignored: --ignore-columns. 0, or
 * -1 with the reason. */
int dataset_ignore_columns(const char *list, char *err, size_t errlen);

/* The track of a row name: "<stem>.<k>.<ext>" gives stem; otherwise the name. */
void track_of(const char *name, char *track, size_t len);

#endif
