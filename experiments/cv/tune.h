/* Tuning inside the protocol (nested cross-validation): for each outer fold
 * a model's declared search (the kind table's, like its presets) is scored
 * by an inner track-grouped k-fold over that fold's training tracks alone,
 * and the fold's model is trained with the best values. The test fold is
 * never seen: changing its rows cannot change what is chosen. */
#ifndef GENRE_TUNE_H
#define GENRE_TUNE_H

#include <stddef.h>

#include "model_kind.h"

#define TUNE_PARAMS 3
#define TUNE_VALUES 8
#define TUNE_INNER_FOLDS 3

/* One searched option: its values, and how a value enters the options. */
typedef struct tune_param {
  const char *name;
  int n;
  double v[TUNE_VALUES];
  void (*set)(kind_opts_t *o, double v);
  const char *const *words; /* NULL, or the value's name for v = 0, 1, ... (knn's weights) */
} tune_param_t;

typedef struct tune_search {
  int n;
  tune_param_t p[TUNE_PARAMS];
} tune_search_t;

/* The search of kind `name` (NULL: none declared). */
const tune_search_t *tune_search(const char *name);
/* Points of the grid (the product of the values). */
int tune_grid_size(const tune_search_t *s);
/* Value of parameter p at grid point g, and that value as text ("0.01", "distance"). */
double tune_value(const tune_search_t *s, int g, int p);
void tune_value_text(const tune_search_t *s, int g, int p, char *buf, size_t len);

/* A model's tuning: the candidates (grid points, the same for every fold:
 * all of them, or `budget` inner fits' worth drawn with the seed) and, per
 * fit, each candidate's inner accuracy and the one chosen. */
typedef struct tune_log {
  const tune_search_t *search;
  int n_cand, *cand;
  int fits;               /* repeats x folds */
  double *score;          /* [fits][n_cand]: pooled inner segment accuracy */
  int *chosen;            /* [fits]: index into cand (-1: not run) */
} tune_log_t;

/* The candidates for `fits` fits under a budget of inner fits per fold (0:
 * the whole grid). 0, or -1 when out of memory. */
int tune_log_init(tune_log_t *l, const tune_search_t *s, int fits, int budget, unsigned long seed);
void tune_log_free(tune_log_t *l);

/* The inner fits one fold runs. */
int tune_fits_per_fold(const tune_log_t *l);

/* A fold callback (cv.h) that tunes, then runs the model as fold_model does.
 * fit_base: this repeat's first fit in the log; y, track per engine row. */
typedef struct fold_tuned {
  fold_model_t model;
  tune_log_t *log;
  int fit_base;
  const char *key; /* for the progress lines */
} fold_tuned_t;

int fold_tuned(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
               size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, double temperature[2],
               epoch_log_t *log, int *epochs, char *err, size_t errlen);

/* The search on dataset rows rows[n] alone (the inner k-fold), its scores
 * into score[n_cand] and the chosen candidate's values applied to *o. The
 * chosen index, or -1 with the reason. */
int tune_choose(const fold_model_t *m, const tune_log_t *l, const size_t *rows, size_t n, unsigned long seed,
                kind_opts_t *o, double *score, char *err, size_t errlen);

#endif
