/* The experiment's engine: every listed model on the same folds, the
 * ensembles and imports, fold jobs and their merge, the saved models and the
 * report. genre experiment and genre folds are its option parsing. */
#ifndef GENRE_EXPERIMENT_H
#define GENRE_EXPERIMENT_H

#include <stddef.h>

#include "dataset.h"
#include "mel_dataset.h"
#include "model_kind.h"
#include "fold_why.h"
#include "split.h"
#include "suite.h"
#include "tune.h"
#include "cv.h"

/* The command line, checked. */
#define MAX_REPEATS 20
#define MAX_LISTED 16 /* --ensemble, --import */

typedef struct experiment_args {
  const char *data, *features, *out, *models, *save_models;
  const char *split_dir; /* --protocol split:DIR */
  int folds, threads, leaky, repeats;
  int only_fold, merge;  /* --fold K (1-based), --merge: the experiment as cluster jobs */
  int no_calibrate;      /* --no-calibrate: no temperatures; the ensemble averages raw softmax */
  int tune, tune_budget; /* --tune: nested cross-validation of every model's declared search */
  unsigned long seed;
  char *ensembles[MAX_LISTED], *imports[MAX_LISTED];
  int n_ensembles, n_imports;
  suite_t suite;         /* the models */
} experiment_args_t;

/* row r of the experiment is row ann_row[r] of the table and mel_row[r] of the spectrograms */
typedef struct rows {
  size_t n, n_tracks;
  int *y, *track, *unit; /* label, track, unit of fold assignment */
  char **names;          /* borrowed */
  size_t *ann_row, *mel_row;
  char **tracks;         /* borrowed */
} rows_t;

/* The experiment's data, results and what it wrote. */
typedef struct experiment {
  experiment_args_t a;
  dataset_t table;
  mel_dataset_t mel;
  kind_data_t view[2]; /* table and mel as the folds see them */
  int have_table, have_mel;
  rows_t rows;
  char *const *labels;
  int K;
  size_t units;
  int k_folds;
  int thin_classes; /* classes with fewer tracks than folds */
  int *fold_of_unit;
  unsigned char *val_unit;                   /* split: its validation tracks */
  int *folds_log;                            /* [repeats][units]: each repeat's fold_of_unit, for folds.csv */
  split_counts_t split;
  cv_result_t runs[MAX_REPEATS][SUITE_MAX]; /* each repeat's */
  cv_result_t res[SUITE_MAX];               /* every repeat's folds; pooled figures of the first */
  int have[SUITE_MAX];
  tune_log_t tune[SUITE_MAX]; /* --tune: each model's candidates and choices (search NULL: not tuned) */
  fold_why_t why; /* the first repeat's explanations (K 0: none): the first ANN's and CNN's */
  fold_why_t own[SUITE_MAX]; /* the other feature models' permutation importance (K 0: none) */
  char progress[SUITE_MAX][96]; /* each model's progress label */
} experiment_t;


/* The models, and the data they need at hand (after the options). 0, or -1 after
 * printing the problem. */
int experiment_check_models(experiment_args_t *a, const suite_overrides_t *ov);
/* Each step: 0, or non-zero after printing the problem. */
int experiment_load(experiment_t *e);         /* the table and / or the spectrograms */
int experiment_split_select(experiment_t *e); /* --protocol split:DIR: its tracks */
int experiment_assign_folds(experiment_t *e, unsigned long seed, int repeat);
int experiment_run(experiment_t *e);          /* every repeat, every fold, every model */
int experiment_fold_job(experiment_t *e);     /* --fold K: one fold into NAME.parts/ */
int experiment_merge(experiment_t *e);        /* --merge: the folds from NAME.parts/ */
int experiment_save_models(experiment_t *e);  /* --save-models: each model on all rows */
int experiment_write_report(experiment_t *e, int argc, char **argv);
int experiment_write_folds(const experiment_t *e, const char *path, char *err, size_t errlen);
void experiment_free(experiment_t *e);        /* what it holds, not e */

#endif
