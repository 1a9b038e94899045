/* K-fold cross-validation grouped by track, for any model: the model is a
 * callback that trains on some rows and predicts others. Folds run in
 * parallel; each has its own seed, so results do not depend on the number of
 * threads. */
#ifndef GENRE_CV_H
#define GENRE_CV_H

#include <stddef.h>

#include "metrics.h"
#include "train.h"

/* Trains on rows train[] (validating on val[]) and writes the probabilities of
 * rows test[] to probs[n_test][K] (uncalibrated), and the temperatures fitted
 * on training rows to temperature[0] (segments) and [1] (tracks) (1: none;
 * with cross_temperature, the engine fits every fold's after the folds
 * instead); log[] gets one entry per epoch
 * run and *epochs their count. With monitor, the test rows are also evaluated
 * after every epoch for the log (and for nothing else). 0, or -1 with a reason. */
typedef int (*fold_fn)(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train,
                       const size_t *val, size_t n_val, const size_t *test, size_t n_test, int monitor,
                       real *probs, double temperature[2], epoch_log_t *log, int *epochs, char *err, size_t errlen);

typedef struct cv_setup {
  const int *y, *group;  /* per row: label, and the unit folds are drawn over (a track) */
  const int *track;      /* per row, for track metrics (NULL: group) */
  size_t n_rows, n_groups;
  int K;                 /* classes */
  int folds;
  unsigned long seed;
  double val_fraction;   /* of each training part's tracks, for early stopping */
  int threads;           /* folds trained at once */
  int max_epochs;        /* size of each fold's log */
  fold_fn fn;
  void *ctx;
  const int *fold_of_track; /* optional: given folds (the experiment's shared ones), per group */
  int run_folds;         /* evaluate only folds [0, run_folds) (0: all) */
  int monitor_test;      /* log each fold's test loss / accuracy per epoch (never used to train) */
  int only_fold;         /* 0: every fold; k: fold k - 1 alone (a cluster job's share; no scores) */
  const unsigned char *val_group; /* optional, per group: the training part's validation tracks (a
                                     published split's); with val_fraction 0 they train instead */
  int cross_temperature; /* each fold's temperature fitted on the other folds' out-of-fold rows */
  const char *progress;  /* optional: a label ("genre experiment: svm"): a progress line on a terminal, else
                            a line per finished fold */
} cv_setup_t;

typedef struct cv_fold {
  size_t n_test, n_tracks;
  double accuracy, top2, macro_f1, track_vote, track_mean, seconds;
  double temperature; /* fitted on the fold's training rows (1: none) */
  double track_temperature; /* the same for the mean of a track's tempered segments (temperature.h) */
  int epochs;
  epoch_log_t *log; /* [max_epochs] */
} cv_fold_t;

typedef struct cv_result {
  int folds, K;           /* folds evaluated */
  int folds_allocated;
  cv_fold_t *fold;
  real *probs;         /* [n_rows][K]: out-of-fold probabilities */
  int *fold_of_row;    /* [n_rows] */
  int *fold_of_track;  /* [n_groups] */
  metrics_t segments;  /* pooled over folds */
  metrics_t tracks;    /* majority vote per track, pooled */
  metrics_t tracks_mean; /* mean probability per track, pooled */
  double seconds;      /* wall clock */
} cv_result_t;

int cv_run(const cv_setup_t *s, cv_result_t *r, char *err, size_t errlen);

/* A result for given out-of-fold probabilities (an ensemble of other runs'):
 * r->probs [n_rows][K] and r->fold_of_row filled by the caller; computes every
 * metric. r must come from cv_result_alloc. */
int cv_result_alloc(const cv_setup_t *s, cv_result_t *r);
void cv_score(const cv_setup_t *s, cv_result_t *r);
void cv_result_free(cv_result_t *r);

/* Cross-fitted temperatures: fold f's T is fitted on the raw out-of-fold
 * probabilities of every other evaluated fold -- rows fold f's model trained
 * on, predicted by models that did not, so the fit never sees fold f's test
 * rows and uses (k-1)/k of the corpus instead of a small held-out share. With
 * fold < 0, on every fold's rows (for a model trained on all of them). */
double cv_fold_temperature(const cv_setup_t *s, const cv_result_t *r, int fold);
/* The track temperature the same way: on the other folds' tracks, each the
 * mean of its segments tempered by their fold's temperature. */
double cv_fold_track_temperature(const cv_setup_t *s, const cv_result_t *r, int fold);
/* Every fold's temperature then track temperature (with cross_temperature);
 * the track temperatures alone (an ensemble of calibrated members). */
void cv_cross_temperatures(const cv_setup_t *s, cv_result_t *r);
void cv_cross_track_temperatures(const cv_setup_t *s, cv_result_t *r);

/* mean and population standard deviation of a field over the folds */
void cv_mean_std(const cv_result_t *r, size_t offset, double *mean, double *std);
#define CV_FIELD(name) offsetof(cv_fold_t, name)

#endif
