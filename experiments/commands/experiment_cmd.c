/* genre experiment: the ANN, the CNN and their ensemble under one protocol,
 * on the same folds, with a report a person can read. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "augment.h"
#include "names.h"
#include "commands.h"
#include "model_kind.h"
#include "fold_part.h"
#include "fold_why.h"
#include "folds.h"
#include "split.h"
#include "dist.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"
#include "temperature.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char about[] =
    "usage: genre experiment --data OUTDIR -o results/NAME [options]\n"
    "       genre experiment --features CSV -o results/NAME [options]   (feature models only)\n"
    "\n"
    "Runs the ANN (on OUTDIR/features_3_sec.csv), the CNN (on OUTDIR/mel) and their\n"
    "ensemble (the mean of their probabilities per segment) on the same folds, and\n"
    "writes results/NAME: report.md and report.html (tables and pictures),\n"
    "confusion_<model>.csv and .svg, curves_<model>.svg, reliability_<model>.svg,\n"
    "importance_ann.svg, metrics.json, predictions.csv, timings.json and folds.csv\n"
    "(track,repeat,fold: what genre folds writes). The directory is replaced only\n"
    "when the whole report is written, and only if it is new, empty or a report.\n"
    "\n";

enum { M_ANN, M_CNN, M_ENS, M_COUNT };
static const char *const model_key[M_COUNT] = {"ann", "cnn", "ensemble"};

/* row r of the experiment is row ann_row[r] of the table and mel_row[r] of the spectrograms */
typedef struct rows {
  size_t n, n_tracks;
  int *y, *track, *unit; /* label, track, unit of fold assignment */
  char **names;          /* borrowed */
  size_t *ann_row, *mel_row;
  char **tracks;         /* borrowed */
} rows_t;

static int cmp_name(const void *a, const void *b, void *names) {
  char **n = names;
  return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/* rows common to both datasets (both given) or of the one given */
static int align(const dataset_t *ann, const mel_dataset_t *mel, rows_t *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  size_t cap = ann ? ann->n_rows : mel->n_rows;
  r->y = malloc(cap * sizeof(int)), r->track = malloc(cap * sizeof(int)), r->unit = malloc(cap * sizeof(int));
  r->names = malloc(cap * sizeof(char *));
  r->ann_row = malloc(cap * sizeof(size_t)), r->mel_row = malloc(cap * sizeof(size_t));
  size_t *order = mel ? malloc(mel->n_rows * sizeof(size_t)) : NULL;
  if (!r->y || !r->track || !r->unit || !r->names || !r->ann_row || !r->mel_row || (mel && !order)) {
    snprintf(err, errlen, "out of memory");
    free(order);
    return -1;
  }
  if (mel) { /* spectrogram rows sorted by name, for lookups */
    for (size_t i = 0; i < mel->n_rows; i++) order[i] = i;
    qsort_r(order, mel->n_rows, sizeof *order, cmp_name, mel->names);
  }
  for (size_t i = 0; i < (ann ? ann->n_rows : mel->n_rows); i++) {
    long m = -1;
    if (ann && mel) { /* binary search of the segment's name among the spectrograms */
      size_t lo = 0, hi = mel->n_rows;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(mel->names[order[mid]], ann->names[i]);
        if (c == 0) {
          m = (long)order[mid];
          break;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
      }
      if (m < 0) continue;
      if (mel->y[m] != ann->y[i]) {
        snprintf(err, errlen, "segment %s is '%s' in the feature table but '%s' in mel/index.csv", ann->names[i],
                 ann->labels[ann->y[i]], mel->labels[mel->y[m]]);
        free(order);
        return -1;
      }
    } else if (mel) {
      m = (long)i;
    }
    size_t k = r->n++;
    r->ann_row[k] = ann ? i : 0;
    r->mel_row[k] = m >= 0 ? (size_t)m : 0;
    r->y[k] = ann ? ann->y[i] : mel->y[i];
    r->track[k] = ann ? ann->group[i] : mel->group[i];
    r->names[k] = ann ? ann->names[i] : mel->names[i];
  }
  r->n_tracks = ann ? ann->n_groups : mel->n_groups;
  r->tracks = ann ? ann->groups : mel->groups;
  free(order);
  if (r->n == 0) {
    snprintf(err, errlen, "no segment is in both the feature table and the spectrograms");
    return -1;
  }
  return 0;
}

static void rows_free(rows_t *r) {
  free(r->y), free(r->track), free(r->unit), free(r->names), free(r->ann_row), free(r->mel_row);
}

/* results/NAME written in a fresh sibling directory, then swapped in */
static int swap_in(const char *tmp, const char *out, char *err, size_t errlen) {
  char old[4200];
  struct stat st;
  int had = stat(out, &st) == 0;
  snprintf(old, sizeof old, "%s.old.%ld", out, (long)getpid());
  if (had && rename(out, old) != 0) {
    snprintf(err, errlen, "%s: cannot move the previous report aside: %s", out, strerror(errno));
    return -1;
  }
  if (rename(tmp, out) != 0) {
    snprintf(err, errlen, "%s: %s", out, strerror(errno));
    if (had) rename(old, out);
    return -1;
  }
  if (had && remove_tree(old)) fprintf(stderr, "genre experiment: could not remove %s\n", old);
  return 0;
}

/* The command line, checked. */
#define MAX_REPEATS 20

typedef struct experiment_args {
  const char *data, *features, *out, *models, *save_models;
  const char *split_dir; /* --protocol split:DIR */
  int folds, threads, leaky, repeats;
  int only_fold, merge;  /* --fold K (1-based), --merge: the experiment as cluster jobs */
  int no_calibrate;      /* --no-calibrate: no temperatures; the ensemble averages raw softmax */
  unsigned long seed;
  int want[M_COUNT];
  kind_opts_t ao, co; /* the ANN's and the CNN's */
} experiment_args_t;

typedef struct raw_options {
  const char *protocol, *ann_arch, *cnn_arch;
  int ann_epochs, cnn_epochs, cnn_batch, members, augment, read_ahead;
} raw_options_t;

static int both_epochs(const char *cmd, const char *arg, void *value) {
  raw_options_t *r = value;
  if (cli_int(cmd, "--epochs", arg, 1, 100000, &r->ann_epochs)) return -1;
  r->cnn_epochs = r->ann_epochs;
  return 0;
}

static int augment_list(const char *cmd, const char *arg, void *value) {
  char err[300];
  if (augment_parse(arg, value, err, sizeof err) == 0) return 0;
  return fprintf(stderr, "genre %s: bad value '%s'\n", cmd, arg), -1;
}

/* Parses argv into a and r; 0, 1 after --help, or -1 after printing the problem
 * (the usage follows either way). */
static int parse_table(int argc, char **argv, experiment_args_t *a, raw_options_t *r) {
  const cli_option_t opts[] = {
      OPT_STRING(0, "data", &a->data, "OUTDIR", "what genre extract wrote"),
      OPT_STRING(0, "features", &a->features, "CSV", "a feature table alone (e.g. Kaggle's): ANN only"),
      OPT_STRING('o', "output", &a->out, "DIR", "the report directory"),
      OPT_STRING(0, "models", &a->models, "LIST", "ann,cnn,ensemble (default: all that the data allows)"),
      OPT_STRING(0, "protocol", &r->protocol, "P",
                 "grouped-kfold (default): stratified folds of tracks, a\n"
                 "track's segments all in one fold; random-split: the seeds'\n"
                 "80/20 split of segments, leaky (reported as such)"),
      OPT_HELP("  --protocol split:DIR a published split: DIR/train.txt, valid.txt (optional) and\n"
               "                       test.txt, one <genre>/<file> per line (data/splits/ has\n"
               "                       GTZAN's fault-filtered one); trains on train (valid for\n"
               "                       early stopping), reports on test"),
      OPT_INT(0, "folds", &a->folds, 2, 100, "K", "folds (default 5)"),
      OPT_INT(0, "repeats", &a->repeats, 1, MAX_REPEATS, "R", "R fold draws (R x K fits; means, std and 95% CIs over all)"),
      OPT_INT(0, "fold", &a->only_fold, 1, 100, "K",
              "run fold K alone (every model) into NAME.parts/fold-K.part: a\n"
              "cluster job's share (e.g. a Slurm array of K tasks)"),
      OPT_FLAG(0, "merge", &a->merge, 1, "the report from NAME.parts/ alone, as one process writes it"),
      OPT_FLAG(0, "no-calibrate", &a->no_calibrate, 1,
               "fit no temperatures: the models' raw softmax, averaged raw by the\n"
               "ensemble (by default each fold fits one per model on training tracks)"),
      OPT_NUMBER(CLI_ULONG, 0, "seed", &a->seed, 0, 0, 0, "S", "a non-negative integer",
                 "seeds the folds and every model (default 1)"),
      OPT_CALL(0, "epochs", r, both_epochs, "N", "epochs of both models"),
      OPT_INT(0, "ann-epochs", &r->ann_epochs, 1, 100000, "N", "the ANN's epochs"),
      OPT_INT(0, "cnn-epochs", &r->cnn_epochs, 1, 100000, "N", "the CNN's epochs"),
      OPT_STRING(0, "ann-arch", &r->ann_arch, "A", "the ANN's preset: default, seed or seed004"),
      OPT_STRING(0, "cnn-arch", &r->cnn_arch, "A", "the CNN's preset: default, seed000 or seed002"),
      OPT_INT(0, "cnn-batch", &r->cnn_batch, 1, 65536, "N", "the CNN's mini-batch (default 32; memory grows with it)"),
      OPT_CALL(0, "augment", &r->augment, augment_list, "LIST", "the CNN's augmentations (default: its preset's)"),
      OPT_INT(0, "members", &r->members, 1, 64, "N", "ANN ensemble size (default: its preset's)"),
      OPT_INT(0, "threads", &a->threads, 1, 64, "T", "threads (default: all cores)"),
      OPT_INT(0, "read-ahead", &r->read_ahead, 0, 256, "N",
              "batches of spectrograms read from disk ahead of the CNN (default 4)"),
      OPT_STRING(0, "save-models", &a->save_models, "DIR",
                 "after the folds, train each model on all the data and save\n"
                 "it as DIR/ann.model, DIR/cnn.model (for genre predict)"),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("experiment", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 1;
  if (first >= 0 && (!a->out || (!a->data == !a->features) || first < argc)) {
    fprintf(stderr, "genre experiment: -o and one of --data / --features are required\n");
    first = -1;
  }
  if (first < 0) return fprintf(stderr, "\n%s", about), cli_help(stderr, tables), -1;
  return 0;
}

/* --models LIST into a->want (the ensemble needs both models). 0, or -1. */
static int parse_models(experiment_args_t *a) {
  int *want = a->want;
  want[M_ANN] = 1, want[M_CNN] = want[M_ENS] = a->data != NULL;
  if (a->models) {
    memset(a->want, 0, sizeof a->want);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a->models);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
      int k = -1;
      for (int m = 0; m < M_COUNT; m++)
        if (strcmp(t, model_key[m]) == 0) k = m;
      if (k < 0) return fprintf(stderr, "genre experiment: --models lists ann, cnn, ensemble; not '%s'\n", t), -1;
      want[k] = 1;
    }
  }
  if (want[M_ENS]) want[M_ANN] = want[M_CNN] = 1;
  if (a->features && want[M_CNN])
    return fprintf(stderr, "genre experiment: --features gives no spectrograms: the CNN and the ensemble need --data\n"), -1;
  return 0;
}

/* The presets and what the command line changes in them. 0, or -1. */
static int apply_presets(experiment_args_t *a, const raw_options_t *r) {
  if (ann_preset(r->ann_arch, &a->ao.ann) || cnn_preset(r->cnn_arch, &a->co.cnn))
    return fprintf(stderr, "genre experiment: unknown preset '%s'\n",
                   ann_preset(r->ann_arch, &a->ao.ann) ? r->ann_arch : r->cnn_arch), -1;
  if (r->ann_epochs) a->ao.ann.train.epochs = r->ann_epochs;
  if (r->cnn_epochs) a->co.cnn.train.epochs = r->cnn_epochs;
  if (r->cnn_batch) a->co.cnn.train.batch = r->cnn_batch;
  if (r->members) a->ao.ann.members = r->members;
  if (r->augment >= 0) a->co.cnn.augment = r->augment;
  if (r->read_ahead >= 0) a->co.cnn.read_ahead = r->read_ahead;
  a->ao.ann.train.seed = a->co.cnn.train.seed = a->seed;
  return 0;
}

/* 0, 1 after --help, or -1 after printing the problem. */
static int experiment_parse_args(int argc, char **argv, experiment_args_t *a) {
  *a = (experiment_args_t){.folds = 5, .threads = cli_cores(), .seed = 1, .repeats = 1};
  raw_options_t r = {.protocol = "grouped-kfold", .ann_arch = "default", .cnn_arch = "default", .augment = -1,
                     .read_ahead = -1};
  int rc = parse_table(argc, argv, a, &r);
  if (rc) return rc;
  a->leaky = strcmp(r.protocol, "random-split") == 0;
  if (strncmp(r.protocol, "split:", 6) == 0 && r.protocol[6]) a->split_dir = r.protocol + 6;
  if (!a->leaky && !a->split_dir && strcmp(r.protocol, "grouped-kfold") != 0)
    return fprintf(stderr, "genre experiment: --protocol is grouped-kfold, random-split or split:DIR, not '%s'\n",
                   r.protocol), -1;
  if ((a->only_fold || a->merge) && (a->leaky || a->split_dir || a->repeats > 1 || (a->only_fold && a->merge)))
    return fprintf(stderr, "genre experiment: --fold K or --merge: grouped folds, one repeat, one of the two\n"), -1;
  if (a->only_fold > a->folds)
    return fprintf(stderr, "genre experiment: --fold %d of %d folds\n", a->only_fold, a->folds), -1;
  if (parse_models(a) || apply_presets(a, &r)) return -1;
  return 0;
}

/* The experiment's data, results and what it wrote. */
typedef struct experiment {
  experiment_args_t a;
  dataset_t table;
  mel_dataset_t mel;
  kind_data_t view[2]; /* table and mel as the folds see them */
  rows_t rows;
  char *const *labels;
  int K;
  size_t units;
  int k_folds;
  int thin_classes; /* classes with fewer tracks than folds */
  int *fold_of_unit;
  unsigned char *val_unit;               /* split: its validation tracks */
  int *folds_log;                        /* [repeats][units]: each repeat's fold_of_unit, for folds.csv */
  split_counts_t split;
  cv_result_t runs[MAX_REPEATS][M_COUNT]; /* each repeat's */
  cv_result_t res[M_COUNT];               /* every repeat's folds; pooled figures of the first */
  int have[M_COUNT];
  char saved[2][4200];
  fold_why_t why; /* the first repeat's explanations (K 0: none) */
} experiment_t;

/* The feature table and / or the spectrograms, and the segments both have. 0, or -1. */
static int load_data(experiment_t *e) {
  const experiment_args_t *a = &e->a;
  char err[4500], path[4200];
  const char *table_path = a->features;
  if (a->want[M_ANN] && a->data) snprintf(path, sizeof path, "%s/features_3_sec.csv", a->data), table_path = path;
  if (a->want[M_ANN] && dataset_load(table_path, NULL, 0, NULL, 0, &e->table, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  int ann = a->want[M_ANN];
  if (a->want[M_CNN] && mel_dataset_load(a->data, ann ? e->table.labels : NULL, ann ? e->table.n_classes : 0, &e->mel,
                                         err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  e->labels = ann ? e->table.labels : e->mel.labels;
  e->K = ann ? e->table.n_classes : e->mel.n_classes;
  if (align(ann ? &e->table : NULL, a->want[M_CNN] ? &e->mel : NULL, &e->rows, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  if (e->K < 2) return fprintf(stderr, "genre experiment: a single label: nothing to classify\n"), -1;
  if (ann) e->view[M_ANN] = model_kind("ann")->view(&e->table);
  if (a->want[M_CNN]) e->view[M_CNN] = model_kind("cnn")->view(&e->mel);
  if (ann && a->want[M_CNN] && (e->rows.n < e->table.n_rows || e->rows.n < e->mel.n_rows))
    fprintf(stderr, "genre experiment: %zu segments in both the table (%zu) and the spectrograms (%zu): using those\n",
            e->rows.n, e->table.n_rows, e->mel.n_rows);
  return 0;
}

/* Classes with fewer tracks than folds: some folds then test none of their
 * tracks, and that fold's macro F1 counts the class as 0. Said on stderr and
 * in the report (e->thin_classes). */
static void warn_thin_classes(experiment_t *e) {
  size_t *tracks = calloc((size_t)e->K, sizeof *tracks);
  unsigned char *seen = calloc(e->rows.n_tracks ? e->rows.n_tracks : 1, 1);
  for (size_t i = 0; tracks && seen && i < e->rows.n; i++)
    if (!seen[e->rows.track[i]]) seen[e->rows.track[i]] = 1, tracks[e->rows.y[i]]++;
  e->thin_classes = 0;
  for (int k = 0; tracks && seen && k < e->K; k++)
    if (tracks[k] < (size_t)e->k_folds) {
      if (!e->thin_classes++)
        fprintf(stderr, "genre experiment: warning: class '%s' has %zu track%s for %d folds: folds without it count it "
                        "as 0 in their macro F1 (see the report)\n", shown(e->labels[k], 0), tracks[k],
                tracks[k] == 1 ? "" : "s", e->k_folds);
    }
  if (e->thin_classes > 1)
    fprintf(stderr, "genre experiment: warning: %d classes in all have fewer tracks than folds\n", e->thin_classes);
  free(tracks), free(seen);
}

/* The folds every model sees: over tracks, or over segments (leaky); for a
 * published split, its test tracks are fold 0 and the rest fold 1. 0, or -1. */
static int assign_folds_now(experiment_t *e, unsigned long seed);

/* assign_folds_now, kept as repeat r's line of folds.csv. 0, or -1. */
static int assign_folds(experiment_t *e, unsigned long seed, int r) {
  if (assign_folds_now(e, seed)) return -1;
  if (!e->folds_log && !(e->folds_log = malloc((size_t)e->a.repeats * e->units * sizeof(int))))
    return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  memcpy(e->folds_log + (size_t)r * e->units, e->fold_of_unit, e->units * sizeof(int));
  return 0;
}

static int assign_folds_now(experiment_t *e, unsigned long seed) {
  rows_t *rows = &e->rows;
  char err[300];
  e->units = e->a.leaky ? rows->n : rows->n_tracks;
  e->k_folds = e->a.leaky ? 5 : e->a.split_dir ? 2 : e->a.folds;
  for (size_t i = 0; i < rows->n; i++) rows->unit[i] = e->a.leaky ? (int)i : rows->track[i];
  if (!e->fold_of_unit && !(e->fold_of_unit = malloc(e->units * sizeof(int))))
    return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  if (e->a.split_dir) return 0; /* split_select set them */
  if (folds_assign(rows->unit, rows->y, rows->n, e->units, e->K, e->k_folds, seed, e->fold_of_unit, err, sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  if ((size_t)e->k_folds > e->units)
    return fprintf(stderr, "genre experiment: %d folds for %zu tracks\n", e->k_folds, e->units), -1;
  if (!e->a.leaky) warn_thin_classes(e);
  return 0;
}

/* --protocol split:DIR: the rows of listed tracks only, test tracks in fold
 * 0, train and valid in fold 1 (valid marked for early stopping). 0, or -1. */
static int split_select(experiment_t *e) {
  rows_t *rows = &e->rows;
  char err[4500];
  e->fold_of_unit = malloc(rows->n_tracks * sizeof(int));
  e->val_unit = calloc(rows->n_tracks ? rows->n_tracks : 1, 1);
  const char **label_of = malloc(rows->n_tracks * sizeof(char *));
  if (!e->fold_of_unit || !e->val_unit || !label_of) return free(label_of), fprintf(stderr, "genre experiment: out of memory\n"), -1;
  for (size_t i = 0; i < rows->n; i++) label_of[rows->track[i]] = e->labels[rows->y[i]];
  int rc = split_assign(e->a.split_dir, rows->tracks, label_of, rows->n_tracks, e->fold_of_unit, e->val_unit, &e->split,
                        err, sizeof err);
  free(label_of);
  if (rc) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  size_t kept = 0; /* rows of unlisted tracks leave the experiment */
  for (size_t i = 0; i < rows->n; i++) {
    if (e->fold_of_unit[rows->track[i]] < 0) continue;
    rows->y[kept] = rows->y[i], rows->track[kept] = rows->track[i], rows->names[kept] = rows->names[i];
    rows->ann_row[kept] = rows->ann_row[i], rows->mel_row[kept] = rows->mel_row[i];
    kept++;
  }
  rows->n = kept;
  fprintf(stderr, "genre experiment: split %s: %zu train, %zu valid, %zu test tracks here; %zu listed tracks absent, "
          "%zu tracks not listed (left out)\n", e->a.split_dir, e->split.train, e->split.valid, e->split.test,
          e->split.absent, e->split.unlisted);
  if (e->split.test == 0 || e->split.train == 0)
    return fprintf(stderr, "genre experiment: the split leaves no %s track in the data\n", e->split.test ? "train" : "test"), -1;
  return 0;
}

/* 1 when the experiment evaluates one fold (a published or random split), else 0 */
static int one_fold(const experiment_args_t *a) { return a->leaky || a->split_dir ? 1 : 0; }

/* Cross-validation of each model on the same folds, then the ensemble: the
 * mean of both models' probabilities, per segment. 0, or -1. */
/* The cross-validation setups of the models (the ensemble's scores only). */
static void make_setups(experiment_t *e, unsigned long seed, cv_setup_t *setup, fold_model_t *ctx) {
  experiment_args_t *a = &e->a;
  rows_t *rows = &e->rows;
  cv_setup_t base = {.y = rows->y, .group = rows->unit, .track = rows->track, .n_rows = rows->n, .n_groups = e->units,
                     .K = e->K, .folds = e->k_folds, .seed = seed, .fold_of_track = e->fold_of_unit,
                     .run_folds = one_fold(a), .monitor_test = 1, .val_group = e->val_unit,
                     .only_fold = a->only_fold, .cross_temperature = !a->no_calibrate && !one_fold(a)};
  /* one fold (a published or random split) has no other folds to fit on: its
   * model's own held-out share, or a twin's */
  int own = !a->no_calibrate && one_fold(a);
  fold_why_t *why = e->why.K && seed == a->seed ? &e->why : NULL; /* the first repeat's */
  ctx[M_ANN] = (fold_model_t){model_kind("ann"), &e->view[M_ANN], &a->ao, rows->ann_row, own, why};
  ctx[M_CNN] = (fold_model_t){model_kind("cnn"), &e->view[M_CNN], &a->co, rows->mel_row, own, why};
  a->ao.ann.train.seed = a->co.cnn.train.seed = seed;
  for (int m = 0; m < M_COUNT; m++) setup[m] = base;
  /* under a launcher every fold's batches are shared by the processes, which
   * must then take the folds in the same order: one at a time */
  setup[M_ANN].val_fraction = a->ao.ann.val_fraction, setup[M_ANN].threads = dist_size() > 1 ? 1 : a->threads;
  setup[M_ANN].max_epochs = a->ao.ann.train.epochs, setup[M_ANN].fn = fold_model, setup[M_ANN].ctx = &ctx[M_ANN];
  a->co.cnn.threads = a->threads; /* the CNN's folds one at a time, each batch split across threads */
  setup[M_CNN].val_fraction = a->co.cnn.val_fraction, setup[M_CNN].threads = 1;
  setup[M_CNN].max_epochs = a->co.cnn.train.epochs, setup[M_CNN].fn = fold_model, setup[M_CNN].ctx = &ctx[M_CNN];
  setup[M_ENS].max_epochs = 1;
}

/* The ensemble: the mean of both models' probabilities, per segment. 0, or -1. */
static int ensemble(experiment_t *e, cv_result_t *res, const cv_setup_t *setup) {
  cv_result_t *ens = &res[M_ENS], *ann = &res[M_ANN], *cnn = &res[M_CNN];
  if (cv_result_alloc(setup, ens)) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  size_t K = (size_t)e->K;
  for (size_t i = 0; i < e->rows.n; i++) { /* each model's probabilities with its fold's temperature */
    real pa[K], pc[K];
    int fold = ann->fold_of_row[i];
    memcpy(pa, ann->probs + i * K, K * sizeof(real)), memcpy(pc, cnn->probs + i * K, K * sizeof(real));
    if (fold < ann->folds) temperature_apply(pa, 1, (int)K, ann->fold[fold].temperature);
    if (fold < cnn->folds) temperature_apply(pc, 1, (int)K, cnn->fold[fold].temperature);
    for (size_t k = 0; k < K; k++) ens->probs[i * K + k] = (pa[k] + pc[k]) / 2;
  }
  memcpy(ens->fold_of_row, ann->fold_of_row, e->rows.n * sizeof(int));
  memcpy(ens->fold_of_track, ann->fold_of_track, e->units * sizeof(int));
  for (int f = 0; f < ens->folds; f++) {
    ens->fold[f].seconds = ann->fold[f].seconds + cnn->fold[f].seconds, ens->fold[f].n_test = ann->fold[f].n_test;
    ens->fold[f].temperature = ens->fold[f].track_temperature = 1; /* its members are calibrated */
  }
  if (setup->cross_temperature) cv_cross_track_temperatures(setup, ens); /* its track means are not */
  cv_score(setup, ens);
  e->have[M_ENS] = 1;
  return 0;
}

static int run_folds(experiment_t *e, int repeat, unsigned long seed) {
  experiment_args_t *a = &e->a;
  cv_result_t *res = e->runs[repeat];
  char err[4500];
  fold_model_t ctx[2];
  cv_setup_t setup[M_COUNT];
  make_setups(e, seed, setup, ctx);
  for (int m = M_ANN; m <= M_CNN; m++) {
    if (!a->want[m]) continue;
    fprintf(stderr, "genre experiment: %s, %s%s...\n", model_key[m], a->split_dir ? "the published split" : a->leaky ?
            "random split (1 of 5 folds)" : "folds", "");
    if (a->repeats > 1) fprintf(stderr, "  repeat %d of %d\n", repeat + 1, a->repeats);
    if (cv_run(&setup[m], &res[m], err, sizeof err))
      return fprintf(stderr, "genre experiment: %s: %s\n", model_key[m], err), -1;
    e->have[m] = 1;
  }
  if (!a->want[M_ENS] || a->only_fold) return 0; /* a fold job's ensemble is made at the merge */
  return ensemble(e, res, &setup[M_ENS]);
}

/* e->res[m]: every repeat's folds, one after another (the summaries are over
 * all fits); the probabilities and pooled figures are the first repeat's. */
static int merge_repeats(experiment_t *e) {
  for (int m = 0; m < M_COUNT; m++) {
    if (!e->have[m]) continue;
    int per = e->runs[0][m].folds, R = e->a.repeats;
    e->res[m] = e->runs[0][m];
    e->res[m].fold = malloc((size_t)(per * R) * sizeof(cv_fold_t));
    if (!e->res[m].fold) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
    for (int r = 0; r < R; r++) memcpy(e->res[m].fold + r * per, e->runs[r][m].fold, (size_t)per * sizeof(cv_fold_t));
    e->res[m].folds = e->res[m].folds_allocated = per * R;
  }
  return 0;
}

/* Every repeat: its fold draw (repeat 0 draws with --seed itself) and every model on it. */
/* The explanations' store (fold_why.h), for every fold. 0, or -1. */
static int why_init(experiment_t *e) {
  int folds = e->a.leaky ? 5 : e->a.split_dir ? 2 : e->a.folds;
  if (fold_why_init(&e->why, e->K, folds, e->rows.n, e->a.want[M_ANN] ? &e->table : NULL))
    return fprintf(stderr, "genre experiment: out of memory\n"), -1;
  return 0;
}

static int run_repeats(experiment_t *e) {
  if ((e->a.split_dir && split_select(e)) || why_init(e)) return -1;
  for (int r = 0; r < e->a.repeats; r++) {
    unsigned long seed = e->a.seed + 0x9E3779B9ul * (unsigned long)r;
    if (assign_folds(e, seed, r) || run_folds(e, r, seed)) return -1;
  }
  e->a.ao.ann.train.seed = e->a.co.cnn.train.seed = e->a.seed;
  return merge_repeats(e);
}

static void fold_part_path(const experiment_t *e, int fold, char *buf, size_t len) {
  snprintf(buf, len, "%s.parts/fold-%d.part", e->a.out, fold + 1);
}

/* --fold K: that fold of every model, written as a part for --merge. 0, or -1. */
static int run_fold_job(experiment_t *e) {
  char path[4400], err[4500];
  if (why_init(e) || assign_folds(e, e->a.seed, 0) || run_folds(e, 0, e->a.seed)) return -1;
  snprintf(path, sizeof path, "%s.parts", e->a.out);
  if (!dist_leader()) return 0; /* rank 0 writes */
  if (make_dirs(path, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  fold_part_path(e, e->a.only_fold - 1, path, sizeof path);
  cv_result_t *res[2] = {e->have[M_ANN] ? &e->runs[0][M_ANN] : NULL, e->have[M_CNN] ? &e->runs[0][M_CNN] : NULL};
  if (fold_part_write(path, e->a.only_fold - 1, res, model_key, 2, e->rows.n, e->K, e->why.K ? &e->why : NULL, err,
                      sizeof err))
    return fprintf(stderr, "genre experiment: %s\n", err), -1;
  printf("fold %d of %d -> %s; genre experiment --merge (the same options) writes the report once every fold is done\n",
         e->a.only_fold, e->k_folds, path);
  return 0;
}

/* --merge: every fold's part read back and scored as one process would. 0, or -1. */
static int merge_folds(experiment_t *e) {
  char path[4400], err[4500];
  if (assign_folds(e, e->a.seed, 0) || why_init(e)) return -1;
  fold_model_t ctx[2];
  cv_setup_t setup[M_COUNT];
  make_setups(e, e->a.seed, setup, ctx);
  cv_result_t *res = e->runs[0], *parts[2] = {NULL, NULL};
  int max_epochs[2] = {setup[M_ANN].max_epochs, setup[M_CNN].max_epochs}, missing = 0;
  for (int m = M_ANN; m <= M_CNN; m++) {
    if (!e->a.want[m]) continue;
    if (cv_result_alloc(&setup[m], &res[m])) return fprintf(stderr, "genre experiment: out of memory\n"), -1;
    memcpy(res[m].fold_of_track, e->fold_of_unit, e->units * sizeof(int));
    for (size_t i = 0; i < e->rows.n; i++) res[m].fold_of_row[i] = e->fold_of_unit[e->rows.unit[i]];
    parts[m] = &res[m], e->have[m] = 1;
  }
  for (int f = 0; f < e->k_folds; f++) {
    fold_part_path(e, f, path, sizeof path);
    if (fold_part_read(path, f, parts, model_key, 2, e->rows.n, e->K, max_epochs, &e->why, err, sizeof err))
      fprintf(stderr, "genre experiment --merge: %s\n", err), missing++;
  }
  if (missing)
    return fprintf(stderr, "genre experiment --merge: %d of %d folds missing or damaged: nothing written\n", missing,
                   e->k_folds), -1;
  for (int m = M_ANN; m <= M_CNN; m++) {
    if (!parts[m]) continue;
    for (size_t i = 0; i < e->rows.n; i++) res[m].fold[res[m].fold_of_row[i]].n_test++;
    cv_cross_temperatures(&setup[m], &res[m]);
    cv_score(&setup[m], &res[m]);
  }
  if (e->a.want[M_ENS] && ensemble(e, res, &setup[M_ENS])) return -1;
  return merge_repeats(e);
}

/* --save-models' provenance: the data, and the cross-validation figures of the
 * same model under the experiment's protocol. */
static char *experiment_about(const experiment_t *e, int m, size_t rows, size_t tracks) {
  char figures[400], protocol[300];
  double acc, acc_sd, vote, vote_sd;
  cv_mean_std(&e->res[m], CV_FIELD(accuracy), &acc, &acc_sd);
  cv_mean_std(&e->res[m], CV_FIELD(track_vote), &vote, &vote_sd);
  snprintf(figures, sizeof figures,
           "{\"segment_accuracy_mean\": %.4f, \"segment_accuracy_std\": %.4f, \"track_accuracy_mean\": %.4f, "
           "\"track_accuracy_std\": %.4f, \"fits\": %d}", acc, acc_sd, vote, vote_sd, e->res[m].folds);
  snprintf(protocol, sizeof protocol, "figures: %s (genre experiment, seed %lu); then trained on every row",
           e->a.leaky ? "random 80/20 split of segments (leaky)" : e->a.split_dir ? "a published split" :
           "stratified k-fold cross-validation grouped by track", e->a.seed);
  return model_about("genre experiment --save-models", e->a.data ? e->a.data : e->a.features, rows, tracks, protocol,
                     figures);
}

/* --save-models: model m trained on every row of the experiment (a share of
 * tracks held out for early stopping where its preset stops early), saved. */
static int save_model(experiment_t *e, int m, char *err, size_t errlen) {
  rows_t *rows = &e->rows;
  size_t n = rows->n, n_train, n_val;
  size_t *all = malloc(n * sizeof *all), *train = malloc(n * sizeof *train), *val = malloc(n * sizeof *val);
  int epochs = m == M_ANN ? e->a.ao.ann.train.epochs : e->a.co.cnn.train.epochs, rc = -1;
  epoch_log_t *log = calloc((size_t)epochs, sizeof *log);
  model_t model;
  if (!all || !train || !val || !log) {
    snprintf(err, errlen, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) all[i] = m == M_ANN ? rows->ann_row[i] : rows->mel_row[i];
  const int *group = m == M_ANN ? e->table.group : e->mel.group, *y = m == M_ANN ? e->table.y : e->mel.y;
  size_t groups = m == M_ANN ? e->table.n_groups : e->mel.n_groups;
  double fraction = m == M_ANN ? e->a.ao.ann.val_fraction : e->a.co.cnn.val_fraction;
  split_validation(all, n, group, y, groups, fraction, e->a.seed, train, &n_train, val, &n_val);
  snprintf(e->saved[m], sizeof e->saved[m], "%s/%s.model", e->a.save_models, model_key[m]);
  fprintf(stderr, "genre experiment: training the %s on all %zu segments -> %s\n", model_key[m], n, e->saved[m]);
  const model_kind_t *k = model_kind(model_key[m]);
  const kind_opts_t *o = m == M_ANN ? &e->a.ao : &e->a.co;
  double T[2] = {1, 1};
  size_t t_rows[2];
  /* with folds, T is fitted on every out-of-fold row (the recipe's calibration
   * on models trained on (k-1)/k of these tracks); else as in the fold */
  int own = !e->a.no_calibrate && one_fold(&e->a), fit = 0;
  if (!e->a.no_calibrate && !own) {
    const cv_setup_t s = {.y = e->rows.y, .group = e->rows.unit, .track = e->rows.track, .n_rows = n, .K = e->K};
    T[0] = cv_fold_temperature(&s, &e->runs[0][m], -1), T[1] = cv_fold_track_temperature(&s, &e->runs[0][m], -1);
  }
  if (own) fit = kind_temperature(k, &e->view[m], train, n_train, val, n_val, o, NULL, T, t_rows, err, errlen);
  if (fit == 0) fit = k->fit(&e->view[m], train, n_train, val, n_val, o, &model, log, NULL, err, errlen);
  if (fit == 0 && own &&
      (fit = kind_temperature(k, &e->view[m], train, n_train, val, n_val, o, &model, T, t_rows, err, errlen)))
    model_free(&model);
  model.temperature = (float)T[0], model.track_temperature = (float)T[1];
  if (fit == 0) {
    model.about = experiment_about(e, m, n, groups);
    rc = dist_leader() ? model_save(&model, e->saved[m], err, errlen) : 0;
    model_free(&model);
  }
out:
  free(all), free(train), free(val), free(log);
  if (rc) e->saved[m][0] = '\0';
  return rc;
}

static int save_models(experiment_t *e) {
  char err[4500];
  if (!e->a.save_models) return 0;
  if (dist_leader() && make_dirs(e->a.save_models, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  for (int m = M_ANN; m <= M_CNN; m++)
    if (e->have[m] && save_model(e, m, err, sizeof err))
      return fprintf(stderr, "genre experiment: saving the %s: %s\n", model_key[m], err), -1;
  return 0;
}

static int cmp_group(const void *a, const void *b, void *names) {
  char **n = names;
  return strcmp(n[*(const size_t *)a], n[*(const size_t *)b]);
}

/* Each track's audio file (from mel/index.csv's path column), by track name;
 * NULL when the spectrograms are not in the experiment. Borrowed strings. */
static char **track_paths(const experiment_t *e) {
  const mel_dataset_t *mel = &e->mel;
  if (!mel->paths || !e->rows.n_tracks) return NULL;
  char **paths = calloc(e->rows.n_tracks, sizeof *paths);
  size_t *order = malloc(mel->n_groups * sizeof *order);
  for (size_t g = 0; order && g < mel->n_groups; g++) order[g] = g;
  if (order) qsort_r(order, mel->n_groups, sizeof *order, cmp_group, mel->groups);
  for (size_t t = 0; paths && order && t < e->rows.n_tracks; t++) {
    size_t lo = 0, hi = mel->n_groups;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int c = strcmp(mel->groups[order[mid]], e->rows.tracks[t]);
      if (c == 0) {
        paths[t] = mel->paths[order[mid]];
        break;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  free(order);
  return paths;
}

/* folds.csv: track,repeat,fold -- every repeat's assignment of the tracks the
 * experiment used (segments under random-split; test, train or valid under a
 * published split), 1-based, as another tool needs it to train on the same
 * folds. 0, or -1 with the reason. */
static int write_folds(const experiment_t *e, const char *path, char *err, size_t errlen) {
  const rows_t *rows = &e->rows;
  unsigned char *used = calloc(e->units ? e->units : 1, 1);
  outfile_t o;
  if (!used) return snprintf(err, errlen, "out of memory"), -1;
  if (outfile_open(&o, path, err, errlen)) return free(used), -1;
  for (size_t i = 0; i < rows->n; i++) used[e->a.leaky ? i : (size_t)rows->track[i]] = 1;
  fputs("track,repeat,fold\n", o.f);
  for (int r = 0; r < e->a.repeats; r++)
    for (size_t u = 0; u < e->units; u++) {
      if (!used[u]) continue;
      int f = e->folds_log[(size_t)r * e->units + u];
      csv_put_text(o.f, e->a.leaky ? rows->names[u] : rows->tracks[u], 1), csv_put_integer(o.f, r + 1, 0);
      if (e->a.split_dir) csv_put_text(o.f, f == 0 ? "test" : e->val_unit[u] ? "valid" : "train", 0);
      else csv_put_integer(o.f, f + 1, 0);
      csv_end_row(o.f);
    }
  free(used);
  return outfile_commit(&o, 1, err, errlen);
}

/* The report, written in a fresh directory next to the destination, then swapped in. 0, or -1. */
static int write_report(experiment_t *e, int argc, char **argv) {
  char tmp[4300], parent[4200], err[4500];
  if (!dist_leader()) return 0; /* rank 0 writes */
  const char *out = e->a.out;
  snprintf(parent, sizeof parent, "%s", out);
  char *slash = strrchr(parent, '/');
  if (slash) *slash = '\0';
  if (slash && make_dirs(parent, err, sizeof err)) return fprintf(stderr, "genre experiment: %s\n", err), -1;
  snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
  if (!mkdtemp(tmp)) return fprintf(stderr, "genre experiment: %s: cannot create a directory: %s\n", tmp, strerror(errno)), -1;
  mode_t mask = umask(022);
  umask(mask);
  chmod(tmp, 0777 & ~mask); /* mkdtemp makes it private; a report is for reading */
  rows_t *rows = &e->rows;
  report_t rep = {.labels = e->labels, .K = e->K, .rows = rows->n, .tracks = rows->n_tracks, .names = rows->names,
                  .track_names = rows->tracks, .track = rows->track, .y = rows->y, .leaky = e->a.leaky,
                  .folds = e->k_folds, .seed = e->a.seed, .data = e->a.data ? e->a.data : e->a.features,
                  .argc = argc, .argv = argv, .ann = &e->a.ao.ann, .cnn = &e->a.co.cnn, .repeats = e->a.repeats,
                  .split_dir = e->a.split_dir, .split = e->split};
  for (int m = 0; m < M_COUNT; m++) rep.have[m] = e->have[m], rep.result[m] = e->have[m] ? &e->res[m] : NULL;
  for (int m = 0; m < 2; m++) rep.saved[m] = e->saved[m][0] ? e->saved[m] : NULL;
  char **paths = track_paths(e);
  rep.track_paths = paths;
  rep.thin_classes = e->thin_classes;
  rep.why = e->why.K ? &e->why : NULL;
  char folds_path[4400];
  snprintf(folds_path, sizeof folds_path, "%s/folds.csv", tmp);
  if (report_write(&rep, tmp, err, sizeof err) || write_folds(e, folds_path, err, sizeof err) ||
      swap_in(tmp, out, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    if (remove_tree(tmp)) fprintf(stderr, "genre experiment: could not remove %s\n", tmp);
    free(paths);
    return -1;
  }
  free(paths);
  report_print_table(&rep, stdout);
  printf("\nreport: %s/report.md and report.html\n", out);
  for (int m = 0; m < 2; m++)
    if (rep.saved[m]) printf("saved: %s\n", rep.saved[m]);
  return 0;
}

static void experiment_free(experiment_t *e) {
  for (int r = 0; r < MAX_REPEATS; r++)
    for (int m = 0; m < M_COUNT; m++)
      if (e->runs[r][m].fold) cv_result_free(&e->runs[r][m]);
  for (int m = 0; m < M_COUNT; m++) free(e->res[m].fold); /* the rest is runs[0]'s */
  free(e->fold_of_unit), free(e->val_unit), free(e->folds_log);
  fold_why_free(&e->why);
  rows_free(&e->rows);
  dataset_free(&e->table);
  mel_dataset_free(&e->mel);
}

int experiment_main(int argc, char **argv) {
  experiment_t e = {0};
  int parsed = experiment_parse_args(argc, argv, &e.a);
  if (parsed) return parsed > 0 ? 0 : 1;
  if (cli_args_only) return 0;
  char err[4500];
  if (!e.a.only_fold && (report_dir_check(e.a.out, e.a.data ? e.a.data : e.a.features, err, sizeof err) ||
                         (e.a.split_dir && report_dir_check(e.a.out, e.a.split_dir, err, sizeof err))))
    return fprintf(stderr, "genre experiment: %s\n", err), 1;
  if (dist_start("experiment")) return 1;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  int rc = load_data(&e) ||
           (e.a.only_fold ? run_fold_job(&e)
                          : (e.a.merge ? merge_folds(&e) : run_repeats(&e)) || save_models(&e) || write_report(&e, argc, argv));
  experiment_free(&e);
  return rc ? 1 : 0;
}

/* --- genre folds: the assignment alone ------------------------------------------------ */

static const char folds_about[] =
    "usage: genre folds --data OUTDIR -o folds.csv [--folds K] [--repeats R] [--seed S] [--protocol P]\n"
    "       genre folds --features CSV -o folds.csv [options]\n\n"
    "Writes the folds genre experiment draws with the same options (every report\n"
    "holds them too, as folds.csv) and trains nothing: track,repeat,fold, one row\n"
    "per track and repeat, folds from 1 (a segment's name under random-split; test,\n"
    "train or valid under a published split). Train another tool's model on them\n"
    "and its predictions compare with genre's on the same tests.\n\n";

int folds_main(int argc, char **argv) {
  experiment_t e = {0};
  experiment_args_t *a = &e.a;
  *a = (experiment_args_t){.folds = 5, .seed = 1, .repeats = 1};
  const char *protocol = "grouped-kfold";
  const cli_option_t opts[] = {
      OPT_STRING(0, "data", &a->data, "OUTDIR", "what genre extract wrote (the rows the experiment's ANN and CNN share)"),
      OPT_STRING(0, "features", &a->features, "CSV", "a feature table alone (as experiment --features)"),
      OPT_STRING('o', "output", &a->out, "FILE", "the CSV to write"),
      OPT_INT(0, "folds", &a->folds, 2, 1000, "K", "folds (default 5)"),
      OPT_INT(0, "repeats", &a->repeats, 1, MAX_REPEATS, "R", "fold draws (default 1)"),
      OPT_NUMBER(CLI_ULONG, 0, "seed", &a->seed, 0, 0, 0, "S", "a non-negative integer", "seeds the folds (default 1)"),
      OPT_STRING(0, "protocol", &protocol, "P", "grouped-kfold (default), random-split or split:DIR, as experiment's"),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("folds", argc, argv, tables, &help);
  if (help) return fputs(folds_about, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && (!a->out || (!a->data == !a->features) || first < argc))
    first = -1, fprintf(stderr, "genre folds: -o and one of --data / --features are required\n");
  if (first < 0) return fprintf(stderr, "\n%s", folds_about), cli_help(stderr, tables), 1;
  if (cli_args_only) return 0;
  a->leaky = strcmp(protocol, "random-split") == 0;
  if (strncmp(protocol, "split:", 6) == 0 && protocol[6]) a->split_dir = protocol + 6;
  if (!a->leaky && !a->split_dir && strcmp(protocol, "grouped-kfold") != 0)
    return fprintf(stderr, "genre folds: --protocol is grouped-kfold, random-split or split:DIR, not '%s'\n", protocol), 1;
  if (parse_models(a)) return 1;
  char err[4500];
  int rc = load_data(&e) || (a->split_dir && split_select(&e));
  for (int r = 0; !rc && r < a->repeats; r++) rc = assign_folds(&e, a->seed + 0x9E3779B9ul * (unsigned long)r, r);
  if (!rc && write_folds(&e, a->out, err, sizeof err)) rc = 1, fprintf(stderr, "genre folds: %s\n", err);
  if (!rc) printf("%zu %s, %d fold%s, %d repeat%s -> %s\n", e.units, a->leaky ? "segments" : "tracks", e.k_folds,
                  e.k_folds == 1 ? "" : "s", a->repeats, a->repeats == 1 ? "" : "s", a->out);
  experiment_free(&e);
  return rc ? 1 : 0;
}
