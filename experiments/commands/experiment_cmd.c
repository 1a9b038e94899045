/* genre experiment: every listed model (the ANN, the CNN, their ensemble, the
 * classical baselines, models trained elsewhere) under one protocol, on the
 * same folds, with a report a person can read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "cli.h"
#include "commands.h"
#include "dist.h"
#include "experiment.h"
#include "report.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char about[] =
    "usage: genre experiment --data OUTDIR -o results/NAME [options]\n"
    "       genre experiment --features CSV -o results/NAME [options]   (feature models only)\n"
    "\n"
    "Runs every listed model on the same folds -- by default the ANN (on\n"
    "OUTDIR/features_3_sec.csv), the CNN (on OUTDIR/mel), their ensemble (the\n"
    "mean of their calibrated probabilities per segment) and two baselines on the\n"
    "features, an RBF SVM and logistic regression; --models chooses among every\n"
    "kind (ann, cnn, svm, knn, logreg, gbdt, rf) and preset -- compares\n"
    "every pair, and writes results/NAME: report.md and report.html (the models\n"
    "ranked, tables and pictures), ranking.svg, confusion_<model>.csv and .svg,\n"
    "curves_<model>.svg, reliability_<model>.svg, importance_<model>.svg (models\n"
    "on features), tune_<model>.csv (--tune), metrics.json,\n"
    "predictions.csv, timings.json and folds.csv (track,repeat,fold: what genre\n"
    "folds writes). The directory is replaced only when the whole report is\n"
    "written, and only if it is new, empty or a report.\n"
    "\n";

typedef struct raw_options {
  const char *protocol;
  suite_overrides_t ov;
} raw_options_t;

static int both_epochs(const char *cmd, const char *arg, void *value) {
  suite_overrides_t *r = value;
  if (cli_int(cmd, "--epochs", arg, 1, 100000, &r->ann_epochs)) return -1;
  r->cnn_epochs = r->ann_epochs;
  return 0;
}

static int augment_list(const char *cmd, const char *arg, void *value) {
  char err[300];
  if (augment_parse(arg, value, err, sizeof err) == 0) return 0;
  return fprintf(stderr, "genre %s: bad value '%s'\n", cmd, arg), -1;
}

static int add_listed(const char *cmd, const char *opt, char **list, int *n, const char *arg) {
  if (*n == MAX_LISTED) return fprintf(stderr, "genre %s: %s at most %d times\n", cmd, opt, MAX_LISTED), -1;
  list[(*n)++] = (char *)arg;
  return 0;
}
static int ensemble_opt(const char *cmd, const char *arg, void *value) {
  experiment_args_t *a = value;
  return add_listed(cmd, "--ensemble", a->ensembles, &a->n_ensembles, arg);
}
static int import_opt(const char *cmd, const char *arg, void *value) {
  experiment_args_t *a = value;
  return add_listed(cmd, "--import", a->imports, &a->n_imports, arg);
}

/* Parses argv into a and r; 0, 1 after --help, or -1 after printing the problem
 * (the usage follows either way). */
static int parse_table(int argc, char **argv, experiment_args_t *a, raw_options_t *r) {
  suite_overrides_t *ov = &r->ov;
  const cli_option_t opts[] = {
      OPT_STRING(0, "data", &a->data, "OUTDIR", "what genre extract wrote"),
      OPT_STRING(0, "features", &a->features, "CSV", "a feature table alone (e.g. Kaggle's): feature models only"),
      OPT_STRING('o', "output", &a->out, "DIR", "the report directory"),
      OPT_STRING(0, "models", &a->models, "LIST",
                 "the models, each KIND or KIND:PRESET, of ann, cnn, svm, knn,\n"
                 "logreg, gbdt, rf (genre train KIND --help: the presets), and\n"
                 "ensemble (ANN + CNN); e.g. ann,cnn,svm,knn,logreg,gbdt,rf or\n"
                 "ann,ann:keras-conv1d (default: ann,cnn,svm,logreg and the ANN + CNN\n"
                 "ensemble; ann,svm,logreg with --features)"),
      OPT_CALL(0, "ensemble", a, ensemble_opt, "NAME=A+B",
               "also NAME, the mean of the calibrated probabilities of the\n"
               "listed models A, B, ... (repeatable); 'none' drops the ANN +\n"
               "CNN ensemble that is there whenever both are listed"),
      OPT_CALL(0, "import", a, import_opt, "NAME=CSV",
               "a model trained elsewhere on folds.csv's folds: its out-of-fold\n"
               "probabilities, track,segment,p_<label>... per 3-s segment or\n"
               "track,p_<label>... per track (repeatable)"),
      OPT_STRING(0, "protocol", &r->protocol, "P",
                 "grouped-kfold (default): stratified folds of tracks, a\n"
                 "track's segments all in one fold; random-split: the Keras\n"
                 "projects' 80/20 split of segments, leaky (reported as such)"),
      OPT_HELP("  --protocol split:DIR a published split: DIR/train.txt, valid.txt (optional) and\n"
               "                       test.txt, one <genre>/<file> per line (data/splits/ has\n"
               "                       GTZAN's fault-filtered one); trains on train (valid for\n"
               "                       early stopping), reports on test"),
      OPT_INT(0, "folds", &a->folds, 2, 100, "K", "folds (default 5)"),
      OPT_FLAG(0, "tune", &a->tune, 1,
               "tune every listed model that declares a search (svm C x gamma,\n"
               "knn k x weights, logreg C, gbdt depth x eta x rounds, rf trees x\n"
               "depth, ann lr x width x dropout, cnn lr) by a 3-fold track-grouped\n"
               "cross-validation inside each fold's training tracks: the test fold\n"
               "never chooses (nested cross-validation)"),
      OPT_INT(0, "tune-budget", &a->tune_budget, 3, 1000000, "N",
              "at most N inner fits per model and fold: a random search of N/3\n"
              "of the grid's points when the grid is larger (default: the grid)"),
      OPT_INT(0, "repeats", &a->repeats, 1, MAX_REPEATS, "R", "R fold draws (R x K fits; means, std and 95% CIs over all)"),
      OPT_INT(0, "fold", &a->only_fold, 1, 100, "K",
              "run fold K alone (every model) into NAME.parts/fold-K.part: a\n"
              "cluster job's share (e.g. a Slurm array of K tasks)"),
      OPT_FLAG(0, "merge", &a->merge, 1, "the report from NAME.parts/ alone, as one process writes it"),
      OPT_FLAG(0, "no-calibrate", &a->no_calibrate, 1,
               "fit no temperatures: the models' raw softmax, averaged raw by the\n"
               "ensembles (by default each fold fits one per model on training tracks)"),
      OPT_NUMBER(CLI_ULONG, 0, "seed", &a->seed, 0, 0, 0, "S", "a non-negative integer",
                 "seeds the folds and every model (default 1)"),
      OPT_CALL(0, "epochs", ov, both_epochs, "N", "epochs of the ANNs and the CNNs"),
      OPT_INT(0, "ann-epochs", &ov->ann_epochs, 1, 100000, "N", "the ANNs' epochs"),
      OPT_INT(0, "cnn-epochs", &ov->cnn_epochs, 1, 100000, "N", "the CNNs' epochs"),
      OPT_STRING(0, "ann-arch", &ov->ann_arch, "A", "the preset of `ann` in the list: default, keras-mlp or keras-conv1d"),
      OPT_STRING(0, "cnn-arch", &ov->cnn_arch, "A", "the preset of `cnn` in the list: default, keras-5block or keras-2conv"),
      OPT_INT(0, "cnn-batch", &ov->cnn_batch, 1, 65536, "N", "the CNNs' mini-batch (default 32; memory grows with it)"),
      OPT_CALL(0, "augment", &ov->augment, augment_list, "LIST", "the CNNs' augmentations (default: the preset's)"),
      OPT_INT(0, "members", &ov->members, 1, 64, "N", "ANN ensemble size (default: its preset's)"),
      OPT_INT(0, "threads", &a->threads, 1, 64, "T", "threads (default: all cores)"),
      OPT_INT(0, "read-ahead", &ov->read_ahead, 0, 256, "N",
              "batches of spectrograms read from disk ahead of the CNN (default 4)"),
      ignore_columns_option(),
      OPT_STRING(0, "save-models", &a->save_models, "DIR",
                 "after the folds, train each listed model on all the data and\n"
                 "save it as DIR/<model>.model (e.g. DIR/ann.model, for genre predict)"),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("experiment", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 1;
  if (first >= 0 && (!a->out || (!a->data == !a->features) || first < argc)) {
    fprintf(stderr, "genre experiment: -o and one of --data / --features are required\n");
    first = -1, cli_usage_hint("experiment");
  }
  if (first < 0) return -1;
  return 0;
}


/* 0, 1 after --help, or -1 after printing the problem. */
static int experiment_parse_args(int argc, char **argv, experiment_args_t *a) {
  *a = (experiment_args_t){.folds = 5, .threads = cli_cores(), .seed = 1, .repeats = 1};
  raw_options_t r = {.protocol = "grouped-kfold", .ov = {.augment = -1, .read_ahead = -1}};
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
  return experiment_check_models(a, &r.ov);
}

int experiment_main(int argc, char **argv) {
  experiment_t *e = calloc(1, sizeof *e);
  if (!e) return fprintf(stderr, "genre experiment: out of memory\n"), 1;
  int parsed = experiment_parse_args(argc, argv, &e->a), rc = 1;
  char err[4500];
  if (parsed || cli_args_only) {
    rc = parsed < 0;
  } else if (!e->a.only_fold && (report_dir_check(e->a.out, e->a.data ? e->a.data : e->a.features, err, sizeof err) ||
                                 (e->a.split_dir && report_dir_check(e->a.out, e->a.split_dir, err, sizeof err)))) {
    fprintf(stderr, "genre experiment: %s\n", err);
  } else if (dist_start("experiment") == 0) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (e->a.only_fold) rc = experiment_load(e) || experiment_fold_job(e);
    else rc = experiment_load(e) || (e->a.merge ? experiment_merge(e) : experiment_run(e)) ||
              experiment_save_models(e) || experiment_write_report(e, argc, argv);
  }
  experiment_free(e);
  free(e);
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

static int folds_run(experiment_t *e, int argc, char **argv);

int folds_main(int argc, char **argv) {
  experiment_t *e = calloc(1, sizeof *e);
  if (!e) return fprintf(stderr, "genre folds: out of memory\n"), 1;
  int rc = folds_run(e, argc, argv);
  experiment_free(e);
  free(e);
  return rc;
}

static int folds_run(experiment_t *e, int argc, char **argv) {
  experiment_args_t *a = &e->a;
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
    first = -1, fprintf(stderr, "genre folds: -o and one of --data / --features are required\n"), cli_usage_hint("folds");
  if (first < 0) return 1;
  if (cli_args_only) return 0;
  a->leaky = strcmp(protocol, "random-split") == 0;
  if (strncmp(protocol, "split:", 6) == 0 && protocol[6]) a->split_dir = protocol + 6;
  if (!a->leaky && !a->split_dir && strcmp(protocol, "grouped-kfold") != 0)
    return fprintf(stderr, "genre folds: --protocol is grouped-kfold, random-split or split:DIR, not '%s'\n", protocol), 1;
  const suite_overrides_t ov = {.augment = -1, .read_ahead = -1};
  if (experiment_check_models(a, &ov)) return 1;
  char err[4500];
  int rc = experiment_load(e) || (a->split_dir && experiment_split_select(e));
  for (int r = 0; !rc && r < a->repeats; r++) rc = experiment_assign_folds(e, a->seed + 0x9E3779B9ul * (unsigned long)r, r);
  if (!rc && experiment_write_folds(e, a->out, err, sizeof err)) rc = 1, fprintf(stderr, "genre folds: %s\n", err);
  if (!rc) printf("%zu %s, %d fold%s, %d repeat%s -> %s\n", e->units, a->leaky ? "segments" : "tracks", e->k_folds,
                  e->k_folds == 1 ? "" : "s", a->repeats, a->repeats == 1 ? "" : "s", a->out);
  return rc ? 1 : 0;
}

