/* The models of one experiment: entries KIND[:PRESET] of the model-kind
 * table (model_kind.h), ensembles of them (NAME=A+B[+C...]: the mean of their
 * calibrated probabilities) and models trained elsewhere whose out-of-fold
 * probabilities are read back. Each is a row of every table of the report,
 * under its key: the kind's name ("svm"), or KIND-PRESET when a preset is
 * named ("ann-keras-conv1d"), or the ensemble's or import's NAME. */
#ifndef GENRE_SUITE_H
#define GENRE_SUITE_H

#include "model_kind.h"

#define SUITE_MAX 24 /* models, ensembles and imports together */

typedef struct suite_model {
  char key[64], title[160], name[96];
  const model_kind_t *kind; /* NULL: an ensemble or an import */
  int mel;                  /* reads the spectrograms (else the feature table) */
  kind_opts_t o;
  int member[SUITE_MAX], members; /* an ensemble's, by index */
  const char *import;       /* an import's predictions file (NULL: not one) */
  char saved[4200];         /* --save-models' file ("" none) */
} suite_model_t;

/* What the command line changes in the networks' presets (0 / NULL: the preset's). */
typedef struct suite_overrides {
  const char *ann_arch, *cnn_arch;
  int ann_epochs, cnn_epochs, cnn_batch, members, augment, read_ahead; /* augment, read_ahead: -1 keeps */
} suite_overrides_t;

typedef struct suite {
  suite_model_t *model; /* [SUITE_MAX] */
  int n;
  int trained;          /* model[0, trained) are kinds trained in the folds; ensembles and imports follow */
  int default_ensemble; /* "ensemble" listed */
} suite_t;

/* The list (NULL: ann, cnn, svm, logreg and the ann + cnn ensemble with
 * spectrograms; ann, svm, logreg without), then --ensemble's (ens[n_ens]; "none" drops the default ann + cnn
 * ensemble, which is there whenever both are listed) and --import's
 * (NAME=FILE) into s (s->model allocated). 0, or -1 after printing the
 * problem as "genre CMD: ...". */
int suite_parse(suite_t *s, const char *cmd, const char *list, int have_mel, const suite_overrides_t *ov,
                char *const *ens, int n_ens, char *const *imports, int n_imports);
void suite_free(suite_t *s);

/* Whether any model reads the feature table, the spectrograms. */
int suite_needs(const suite_t *s, int mel);
/* The first model of kind `name` in the list, or -1. */
int suite_first(const suite_t *s, const char *name);
/* How model m trains, one line for report.md (into buf; "" for none). */
void suite_setup_line(const suite_model_t *m, char *buf, size_t len);

#endif
