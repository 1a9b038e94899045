/* genre cv ann: stratified K-fold cross-validation grouped by track. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cv.h"
#include "fold_models.h"
#include "cv_json.h"
#include "json.h"
#include "dist.h"
#include "outfile.h"
#include "mel_dataset.h"
#include "train_options.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char ann_usage[] =
    "usage: genre cv ann --features CSV [--folds K] [--json FILE] [options]\n"
    "\n"
    "Stratified K-fold cross-validation. When the rows are 3-s segments\n"
    "(<stem>.<k>.wav) the folds are drawn over tracks, so no track has segments on\n"
    "both sides, and accuracy per track (majority vote) is reported beside\n"
    "accuracy per segment. Standardisation and early stopping use each fold's\n"
    "training part only. Prints every fold and the mean +- std over folds.\n"
    "\n"
    "  --features CSV       a feature table (ours or Kaggle's)\n"
    "  --folds K            folds (default 10)\n"
    "  --json FILE          write the results as JSON: accuracy_mean, accuracy_std,\n"
    "                       top2_mean, macro_f1_mean, track_accuracy_mean (segments),\n"
    "                       folds[] (per fold), labels, confusion (rows true)\n" TRAIN_OPTIONS_HELP
    "                       (--threads: folds trained at once)\n";

/* Prints folds, mean +- std and the pooled confusion; writes the JSON. */
static int report(const char *cmd, const cv_result_t *r, char *const *labels, size_t rows, size_t tracks, int segmented,
                  const char *model, const char *arch, const char *data, unsigned long seed, int threads,
                  const char *json_path) {
  int folds = r->folds;
  printf("%d-fold cross-validation of the %s (%s) on %s: %zu rows, %zu tracks, %d labels%s\n", folds, model, arch,
         data, rows, tracks, r->K, segmented ? " (segments grouped by track)" : "");
  for (int f = 0; f < folds; f++) {
    const cv_fold_t *fd = &r->fold[f];
    printf("  fold %2d: accuracy %.4f  top-2 %.4f", f + 1, fd->accuracy, fd->top2);
    if (segmented) printf("  track accuracy %.4f", fd->track_vote);
    printf("  (%zu rows, %d epochs, %.2f s)\n", fd->n_test, fd->epochs, fd->seconds);
  }
  double m, sd;
  cv_mean_std(r, CV_FIELD(accuracy), &m, &sd);
  printf("accuracy %.4f +- %.4f", m, sd);
  cv_mean_std(r, CV_FIELD(top2), &m, &sd);
  printf("   top-2 %.4f +- %.4f", m, sd);
  cv_mean_std(r, CV_FIELD(macro_f1), &m, &sd);
  printf("   macro F1 %.4f +- %.4f\n", m, sd);
  if (segmented) {
    cv_mean_std(r, CV_FIELD(track_vote), &m, &sd);
    printf("track accuracy (majority vote) %.4f +- %.4f\n", m, sd);
  }
  printf("(mean +- std over %d folds; %.2f s with %d thread%s", folds, r->seconds, threads, threads == 1 ? "" : "s");
  if (dist_size() > 1) printf(" in each of %d processes", dist_size());
  printf(")\n\npooled over folds:\n");
  metrics_print(stdout, &r->segments, labels);
  if (!json_path || !dist_leader()) return 0; /* rank 0 writes */
  char err[1500];
  outfile_t out;
  if (outfile_open(&out, json_path, err, sizeof err)) {
    fprintf(stderr, "genre %s: %s\n", cmd, err);
    return 1;
  }
  json_t j;
  json_begin(&j, out.f);
  json_key(&j, "model"), json_string(&j, model);
  json_key(&j, "arch"), json_string(&j, arch);
  json_key(&j, "data"), json_string(&j, data);
  json_key(&j, "protocol"), json_string(&j, segmented ? "stratified k-fold grouped by track" : "stratified k-fold");
  json_key(&j, "k"), json_int(&j, folds);
  json_key(&j, "seed"), json_int(&j, (long long)seed);
  json_key(&j, "rows"), json_int(&j, (long long)rows);
  json_key(&j, "tracks"), json_int(&j, (long long)tracks);
  write_cv_json(&j, r, labels, segmented);
  json_end(&j);
  if (outfile_commit(&out, 1, err, sizeof err)) {
    fprintf(stderr, "genre %s: %s\n", cmd, err);
    return 1;
  }
  return 0;
}

static int cv_ann(int argc, char **argv) {
  const char *features = NULL, *json_path = NULL;
  int folds = 10;
  ann_opts_t o;
  int threads, verbose;
  if (train_options_parse("cv ann", argc, argv, &o, &threads, &verbose)) return 1;
  verbose = 0;
  static const struct option opts[] = {{"features", required_argument, 0, 'f'}, {"folds", required_argument, 0, 'k'},
                                       {"json", required_argument, 0, 'J'}, {"help", no_argument, 0, 'h'},
                                       TRAIN_LONG_OPTIONS, {0, 0, 0, 0}};
  optind = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    char *end;
    if (c == 'f') features = optarg;
    else if (c == 'J') json_path = optarg;
    else if (c == 'k') {
      folds = (int)strtol(optarg, &end, 10);
      if (*end || folds < 2 || folds > 1000) {
        fprintf(stderr, "genre cv ann: --folds wants 2 or more, not '%s'\n", optarg);
        return 1;
      }
    } else if (c == 'h') return fputs(ann_usage, stdout), 0;
    else {
      int r = ann_option("cv ann", c, optarg, &o, &threads, &verbose);
      if (r == 0) return fputs(ann_usage, stderr), 1;
      if (r < 0) return 1;
    }
  }
  if (!features || optind < argc) {
    fprintf(stderr, "genre cv ann: --features is required\n\n%s", ann_usage);
    return 1;
  }
  if (cli_args_only) return 0;
  if (dist_start("cv ann")) return 1;
  if (dist_size() > 1) threads = 1; /* the ranks share each fold's batches: folds one at a time */
  char err[1500];
  dataset_t d;
  if (dataset_load(features, NULL, 0, NULL, 0, &d, err, sizeof err)) {
    fprintf(stderr, "genre cv ann: %s\n", err);
    return 1;
  }
  if (d.n_classes < 2) {
    fprintf(stderr, "genre cv ann: %s: a single label ('%s'): nothing to classify\n", features, d.labels[0]);
    dataset_free(&d);
    return 1;
  }
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  o.train.verbose = verbose;
  fold_ann_t ctx = {&d, &o, NULL};
  cv_setup_t s = {.y = d.y, .group = d.group, .n_rows = d.n_rows, .n_groups = d.n_groups, .K = d.n_classes,
                  .folds = folds, .seed = o.train.seed, .val_fraction = o.val_fraction, .threads = threads,
                  .max_epochs = o.train.epochs, .fn = fold_ann, .ctx = &ctx};
  cv_result_t r;
  if (cv_run(&s, &r, err, sizeof err)) {
    fprintf(stderr, "genre cv ann: %s\n", err);
    dataset_free(&d);
    return 1;
  }
  int rc = report("cv ann", &r, d.labels, d.n_rows, d.n_groups, d.segmented, "ANN", o.arch, features, o.train.seed,
                  threads < folds ? threads : folds, json_path);
  cv_result_free(&r);
  dataset_free(&d);
  return rc;
}

static const char cnn_usage[] =
    "usage: genre cv cnn --mel OUTDIR [--folds K] [--json FILE] [options]\n"
    "\n"
    "Stratified K-fold cross-validation of the CNN on the log-mel spectrograms of\n"
    "genre extract (OUTDIR/mel/*.npy and index.csv). Folds are drawn over tracks:\n"
    "a track's segments are never on both sides. Reports accuracy per segment and\n"
    "per track (majority vote), mean +- std over folds. Standardisation and\n"
    "early stopping use each fold's training part only.\n"
    "\n"
    "  --mel OUTDIR         what genre extract wrote (or its mel/ directory)\n"
    "  --folds K            folds (default 5)\n"
    "  --json FILE          results as JSON (keys as for genre cv ann)\n" CNN_OPTIONS_HELP;

static int cv_cnn(int argc, char **argv) {
  const char *mel = NULL, *json_path = NULL;
  int folds = 5, threads, verbose;
  cnn_opts_t o;
  if (cnn_options_parse("cv cnn", argc, argv, &o, &threads, &verbose)) return 1;
  verbose = 0;
  static const struct option opts[] = {{"mel", required_argument, 0, 'm'}, {"folds", required_argument, 0, 'k'},
                                       {"json", required_argument, 0, 'J'}, {"help", no_argument, 0, 'h'},
                                       TRAIN_LONG_OPTIONS, {0, 0, 0, 0}};
  optind = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    char *end;
    if (c == 'm') mel = optarg;
    else if (c == 'J') json_path = optarg;
    else if (c == 'k') {
      folds = (int)strtol(optarg, &end, 10);
      if (*end || folds < 2 || folds > 1000) {
        fprintf(stderr, "genre cv cnn: --folds wants 2 or more, not '%s'\n", optarg);
        return 1;
      }
    } else if (c == 'h') return fputs(cnn_usage, stdout), 0;
    else {
      int r = cnn_option("cv cnn", c, optarg, &o, &threads, &verbose);
      if (r == 0) return fputs(cnn_usage, stderr), 1;
      if (r < 0) return 1;
    }
  }
  if (!mel || optind < argc) {
    fprintf(stderr, "genre cv cnn: --mel is required\n\n%s", cnn_usage);
    return 1;
  }
  if (cli_args_only) return 0;
  if (dist_start("cv cnn")) return 1;
  char err[1500];
  mel_dataset_t d;
  if (mel_dataset_load(mel, NULL, 0, &d, err, sizeof err)) {
    fprintf(stderr, "genre cv cnn: %s\n", err);
    return 1;
  }
  if (d.n_classes < 2) {
    fprintf(stderr, "genre cv cnn: %s: a single label ('%s'): nothing to classify\n", mel, d.labels[0]);
    mel_dataset_free(&d);
    return 1;
  }
  o.train.verbose = verbose;
  /* folds one after another, each batch split across the threads (BLAS inside
   * runs single-threaded) */
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  o.threads = threads;
  fold_cnn_t ctx = {&d, &o, NULL};
  cv_setup_t s = {.y = d.y, .group = d.group, .n_rows = d.n_rows, .n_groups = d.n_groups, .K = d.n_classes,
                  .folds = folds, .seed = o.train.seed, .val_fraction = o.val_fraction, .threads = 1,
                  .max_epochs = o.train.epochs, .fn = fold_cnn, .ctx = &ctx};
  cv_result_t r;
  if (cv_run(&s, &r, err, sizeof err)) {
    fprintf(stderr, "genre cv cnn: %s\n", err);
    mel_dataset_free(&d);
    return 1;
  }
  int rc = report("cv cnn", &r, d.labels, d.n_rows, d.n_groups, 1, "CNN", o.arch, mel, o.train.seed, threads, json_path);
  cv_result_free(&r);
  mel_dataset_free(&d);
  return rc;
}

int cv_main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "ann") == 0) return cv_ann(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "cnn") == 0) return cv_cnn(argc - 1, argv + 1);
  FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(f, "usage: genre cv ann|cnn ...   (genre cv ann --help, genre cv cnn --help)\n");
  return f == stdout ? 0 : 1;
}
