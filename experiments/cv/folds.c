#include "folds.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* label of each track (from its rows), -1 for tracks without rows; -2 on a conflict */
static int track_labels(const int *group, const int *y, size_t n_rows, size_t n_groups, int *label) {
  for (size_t g = 0; g < n_groups; g++) label[g] = -1;
  for (size_t r = 0; r < n_rows; r++) {
    int *l = &label[group[r]];
    if (*l == -1) *l = y[r];
    else if (*l != y[r]) return (int)r;
  }
  return -1;
}

int folds_assign(const int *group, const int *y, size_t n_rows, size_t n_groups, int n_classes, int K,
                 unsigned long seed, int *fold_of_track, char *err, size_t errlen) {
  int *label = malloc(n_groups * sizeof *label);
  size_t *tracks = malloc(n_groups * sizeof *tracks);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!label || !tracks || !r) {
    free(label), free(tracks);
    if (r) gsl_rng_free(r);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int conflict = track_labels(group, y, n_rows, n_groups, label);
  if (conflict >= 0) {
    snprintf(err, errlen, "row %d: a track's rows carry different labels", conflict + 2);
    free(label), free(tracks), gsl_rng_free(r);
    return -1;
  }
  gsl_rng_set(r, seed);
  int next = 0;
  for (int c = 0; c < n_classes; c++) {
    size_t n = 0;
    for (size_t g = 0; g < n_groups; g++)
      if (label[g] == c) tracks[n++] = g;
    gsl_ran_shuffle(r, tracks, n, sizeof *tracks);
    for (size_t i = 0; i < n; i++) fold_of_track[tracks[i]] = (next + (int)i) % K;
    next = (next + (int)(n % K)) % K;
  }
  for (size_t g = 0; g < n_groups; g++)
    if (label[g] < 0) fold_of_track[g] = 0;
  free(label), free(tracks);
  gsl_rng_free(r);
  return 0;
}

void split_validation(const size_t *idx, size_t n, const int *group, const int *y, size_t n_groups,
                      double fraction, unsigned long seed, size_t *train, size_t *n_train, size_t *val,
                      size_t *n_val) {
  *n_train = *n_val = 0;
  char *in_val = calloc(n_groups, 1);
  int *label = malloc(n_groups * sizeof *label);
  size_t *tracks = malloc(n_groups * sizeof *tracks);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (in_val && label && tracks && r && fraction > 0) {
    gsl_rng_set(r, seed);
    for (size_t g = 0; g < n_groups; g++) label[g] = -1;
    int max_label = -1;
    for (size_t i = 0; i < n; i++) {
      label[group[idx[i]]] = y[idx[i]];
      if (y[idx[i]] > max_label) max_label = y[idx[i]];
    }
    for (int c = 0; c <= max_label; c++) {
      size_t m = 0;
      for (size_t g = 0; g < n_groups; g++)
        if (label[g] == c) tracks[m++] = g;
      if (m) gsl_ran_shuffle(r, tracks, m, sizeof *tracks); /* a class may have no track here (a published split) */
      size_t take = (size_t)(fraction * m + 0.5);
      if (take == 0 && m >= 2) take = 1;
      if (take >= m) take = m > 0 ? m - 1 : 0;
      for (size_t i = 0; i < take; i++) in_val[tracks[i]] = 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (in_val && in_val[group[idx[i]]]) val[(*n_val)++] = idx[i];
    else train[(*n_train)++] = idx[i];
  }
  free(in_val), free(label), free(tracks);
  if (r) gsl_rng_free(r);
}
