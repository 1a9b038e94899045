/* The model kinds as one table, in the spirit of darknet's layer table: what
 * train, cv and experiment need of a kind (its data, options, presets, fit and
 * predict, its usage) so that they run one path for every kind. Adding a kind
 * is adding an entry to model_kinds[] in model_kind.c (README's Layout shows
 * the diff). A fold callback (cv.h) runs any kind on the same rows. */
#ifndef GENRE_MODEL_KIND_H
#define GENRE_MODEL_KIND_H

#include <stdio.h>

#include "ann.h"
#include "cli.h"
#include "cnn.h"
#include "classical.h"
#include "cv.h"
#include "mel_dataset.h"

struct fold_why;

/* A kind's options (its presets fill them; the command line overrides). */
typedef union kind_opts {
  ann_opts_t ann;
  cnn_opts_t cnn;
  knn_opts_t knn;
  svm_opts_t svm;
  logreg_opts_t logreg;
  trees_kind_opts_t trees; /* gbdt, rf */
} kind_opts_t;

/* What every kind's options share. */
typedef struct kind_common {
  const char *arch;
  train_opts_t *train;
  double *val_fraction;
  int *threads; /* threads splitting each batch (NULL: the kind trains folds in threads instead) */
} kind_common_t;

/* A loaded dataset, as the folds and the commands see it. */
typedef struct kind_data {
  void *d; /* the kind's own (dataset_t, mel_dataset_t) */
  const int *y, *group;
  size_t n_rows, n_groups;
  int n_classes, segmented;
  char **labels;
} kind_data_t;

typedef struct model_kind {
  const char *name, *title;      /* "ann", "ANN" */
  const char *data_option;       /* "features": --features CSV */
  const char *data_arg, *data_help;
  int default_folds;
  int networks;                  /* trained by epochs: the optimiser's options apply (not to kNN) */
  const char *train_about, *cv_about; /* the usages' paragraphs */
  const char *arch_help;         /* --arch's help: the presets */
  /* the preset `arch` into o (a kind_opts_t): 0, or -1 after printing the presets */
  int (*arch)(const char *cmd, const char *arch, void *o);
  kind_common_t (*common)(kind_opts_t *o);
  const cli_option_t *(*options)(kind_opts_t *o); /* the kind's own options (a static table) */
  int (*load)(const char *path, kind_data_t *d, char *err, size_t errlen);
  kind_data_t (*view)(void *d); /* a dataset of the kind's own type, seen as the folds see it */
  void (*free)(kind_data_t *d);
  int (*fit)(const kind_data_t *d, const size_t *train, size_t n_train, const size_t *val, size_t n_val,
             const kind_opts_t *o, model_t *m, epoch_log_t *log, int *epochs, char *err, size_t errlen);
  int (*predict)(model_t *m, const kind_data_t *d, const size_t *rows, size_t n, const kind_opts_t *o, real *probs,
                 char *err, size_t errlen);
  /* the training's first line (stderr) and last line (stdout) */
  void (*describe)(const kind_data_t *d, const kind_opts_t *o, size_t n_train, size_t n_val);
  void (*trained)(const kind_data_t *d, const model_t *m, const epoch_log_t *log, int epochs, size_t n_train,
                  size_t n_val, double seconds, const char *out);
  /* a fold's explanations (fold_why.h) of its test rows: engine[n] as the
   * experiment numbers them, rows[n] as d does, their probabilities */
  int (*why)(struct fold_why *w, int fold, model_t *m, const kind_data_t *d, const size_t *engine,
             const size_t *rows, size_t n, const real *probs, unsigned long seed, char *err, size_t errlen);
} model_kind_t;

/* The kind's data at path, refused (after printing "genre CMD: ...") when it
 * cannot be read or holds a single label. 0, or 1. */
int kind_load_classes(const model_kind_t *k, const char *cmd, const char *path, kind_data_t *d);
/* The refusal kind_load_classes makes of a dataset with a single label (a
 * dataset given in memory meets it too): 0, or 1 after printing. */
int kind_check_classes(const char *cmd, const char *path, const kind_data_t *d);
/* The epoch of log[epochs] with the lowest validation loss. */
int kind_best_epoch(const epoch_log_t *log, int epochs);

extern const model_kind_t model_kinds[];
extern const int n_model_kinds;
/* The kind named `name`, or NULL. */
const model_kind_t *model_kind(const char *name);

/* --ignore-columns LIST: feature-table columns not read (dataset_ignore_columns). */
cli_option_t ignore_columns_option(void);

/* The options every kind trains with (--epochs, --lr, ...; --arch applied
 * first), a static table pointing into o, *threads and *verbose. */
const cli_option_t *training_options(const model_kind_t *k, kind_opts_t *o, int *threads, int *verbose);

/* How a model was trained, as the model file's `about` (a one-line JSON
 * object, malloc'd; NULL when out of memory): the command, the data, rows and
 * tracks, the protocol in words, then `figures` (JSON text of an object, or
 * NULL). */
char *model_about(const char *command, const char *data, size_t rows, size_t tracks, const char *protocol,
                  const char *figures);

/* A cross-validation fold (cv_fold_fn) of any kind. map: engine row -> the
 * dataset's row (NULL: the same), so the experiment runs every kind on the
 * same segments. */
typedef struct fold_model {
  const model_kind_t *kind;
  const kind_data_t *d;
  const kind_opts_t *o;
  const size_t *map;
  int calibrate; /* fit the fold's temperature (on training rows) */
  struct fold_why *why; /* NULL, or where the fold's explanations go */
} fold_model_t;

int fold_model(void *ctx, int fold, unsigned long seed, const size_t *train, size_t n_train, const size_t *val,
               size_t n_val, const size_t *test, size_t n_test, int monitor, real *probs, double temperature[2],
               epoch_log_t *log, int *epochs, char *err, size_t errlen);

/* The temperature of a model (model.h, temperature.h), fitted on rows no
 * training step saw, in two calls around the model's fit: before it (m NULL),
 * when the preset holds nothing out (n_val 0), a twin — the same recipe
 * trained on 90% of the train[] tracks — is scored on the other 10% (so one
 * network at a time is alive: memory stays the model's); after it (m the
 * model), when it holds val[] out, the model is scored on val[]. The other two
 * calls leave *T and *rows. The model itself is trained as without: the same
 * weights, the same accuracy. T[0]: the segments' temperature, T[1] the
 * tracks' (temperature.h; 1 with fewer than TEMPERATURE_MIN_TRACKS held-out tracks);
 * rows[0], rows[1]: how many segments and tracks they were fitted on. 0, or -1. */
int kind_temperature(const model_kind_t *k, const kind_data_t *d, const size_t *train, size_t n_train,
                     const size_t *val, size_t n_val, const kind_opts_t *o, model_t *m, double T[2], size_t rows[2],
                     char *err, size_t errlen);

#endif
