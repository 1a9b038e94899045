/* The experiment's report directory:
 *   report.md                 the comparison table, per-class tables, protocol,
 *                             seed, data, command, and the pictures below
 *   confusion_<model>.csv     counts summed over folds, rows true, columns predicted
 *   confusion_<model>.svg     heatmap, row-normalised colour, counts in the cells
 *   curves_<model>.svg        training and held-out loss and accuracy per epoch
 *   metrics.json              every number of the tables (no timings, so the same
 *                             seed gives the same bytes)
 *   timings.json              training time per model and fold
 *   predictions.csv           per segment and model: fold, track, labels, probabilities
 *   importance_ann.svg        the ANN's permutation importance, largest first
 *   folds.csv                 track,repeat,fold (written by the experiment: genre folds)
 *   report.html               all of report.md, interactive confusion matrices down to
 *                             the tracks and segments, one self-contained file */
#ifndef GENRE_REPORT_H
#define GENRE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "cv.h"
#include "split.h"

/* One model of the report, in the order of the experiment's list. */
typedef struct report_model {
  const char *key;   /* its files' and metrics.json's name: "ann", "svm", "ann-keras", "ensemble" */
  const char *title; /* the tables' "ANN (features)" */
  const char *name;  /* the comparisons' "ANN" */
  const cv_result_t *result;
  int trained;       /* trained in the folds: raw probabilities and each fold's temperature (else an
                        ensemble's or imported probabilities, taken as they are) */
  int curves;        /* trained by epochs: curves_<key>.svg */
  int why;           /* the explanations' importances are its (the ANN's) */
  int members;       /* an ensemble of that many models (0: not an ensemble) */
  const int *member; /* [members]: their indices in the report */
  const struct tune_log *tuned; /* --tune: its candidates and each fit's choice (NULL: not tuned) */
  const struct fold_why *importance; /* a feature model's permutation importance (NULL: none) */
  const char *setup; /* how it was trained, for report.md (NULL: nothing to say) */
  const char *saved; /* --save-models: its file (NULL: none) */
} report_model_t;

typedef struct report {
  char *const *labels;
  int K;
  size_t rows, tracks;
  char *const *names;       /* [rows] segment names */
  char *const *track_names; /* [tracks] */
  const int *track, *y;     /* [rows] */
  int leaky, folds;
  unsigned long seed;
  const char *data;
  int argc;
  char **argv;
  int n_models;
  const report_model_t *model; /* [n_models] */
  int repeats;                /* fold draws: every result holds repeats x folds fits */
  const char *split_dir;      /* a published split (NULL: folds) */
  split_counts_t split;
  char *const *track_paths;   /* [tracks]: audio files (absolute; NULL entries or NULL: unknown) */
  int thin_classes;           /* classes with fewer tracks than folds (some folds test none of them) */
  const struct fold_why *why; /* the folds' explanations (fold_why.h), or NULL (fold jobs merged) */
} report_t;

/* Whether out may receive a report (which replaces the directory whole): it
 * does not exist, or is empty, or is an earlier report (metrics.json and
 * report.md), and does not hold data (the --data folder or --features
 * table; NULL: none). 0, or -1 with the reason (naming what is in the way). */
int report_dir_check(const char *out, const char *data, char *err, size_t errlen);

/* Text in Markdown, a table cell too (one line, no bare '|', no HTML), and a
 * code span (its fence longer than any run of backticks inside). */
void report_md_text(FILE *f, const char *s);
void report_md_code(FILE *f, const char *s);

/* Writes every file into dir. 0, or -1 with the reason. */
int report_write(const report_t *r, const char *dir, char *err, size_t errlen);

/* report.html into dir (after report_write: it embeds report.md and the SVGs). */
int report_write_html(const report_t *r, const char *dir, char *err, size_t errlen);

/* Calibration (report_calibration.c): model m's over its tested segments and
 * tracks, raw or with each fold's temperature (0, or -1 when out of memory),
 * as metrics.json's "calibration", as a reliability_<model>.svg (calibrated),
 * and as report.md's section. */
struct calibration;
struct json;
int report_calibration(const report_t *r, int m, int calibrated, struct calibration *seg, struct calibration *trk);
double report_temperature(const report_t *r, int m, int track); /* the segments' (track 0) or tracks' mean over folds */
void report_json_calibration(const report_t *r, struct json *j, int m);
int report_write_reliability(const report_t *r, int m, const char *dir, char *err, size_t errlen);
void report_md_calibration(const report_t *r, FILE *f);

/* The explanations (report_why.c): every feature model's permutation
 * importance as metrics.json's "importance" in its object and as
 * importance_<model>.svg; report.md's section; report.html's "why" (the
 * ANN's and the CNN's, r->why). */
void report_json_why(const report_t *r, struct json *j, int m);
int report_write_importance(const report_t *r, int m, const char *dir, char *err, size_t errlen);
void report_md_why(const report_t *r, FILE *f);
void report_js_why(const report_t *r, FILE *f);

/* --tune (report_tune.c): metrics.json's "tuned" in model m's object,
 * tune_<model>.csv (every candidate's inner accuracy per fit) and report.md's
 * section. */
void report_json_tuned(const report_t *r, struct json *j, int m);
int report_write_tuning(const report_t *r, int m, const char *dir, char *err, size_t errlen);
void report_md_tuning(const report_t *r, FILE *f);

/* The paired comparisons of the models (compare.h), *rows malloc'd: the
 * count, or -1 when out of memory. */
struct compare_row;
int report_comparisons(const report_t *r, struct compare_row **rows);

/* The comparison table as text. */
void report_print_table(const report_t *r, FILE *f);

#endif
