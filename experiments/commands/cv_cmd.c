/* genre cv ann|cnn: stratified K-fold cross-validation grouped by track, one
 * path for every kind of model_kinds[]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cv.h"
#include "model_kind.h"
#include "cv_json.h"
#include "json.h"
#include "dist.h"
#include "outfile.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

/* --json FILE: the results and, when fitted, the calibration. 0, or 1 after printing. */
static int write_json(const char *cmd, const cv_result_t *r, const kind_data_t *d, const calibration_t *raw,
                      const calibration_t *cal, double T, const char *model, const char *arch, const char *data,
                      unsigned long seed, const char *json_path) {
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
  json_key(&j, "protocol"), json_string(&j, d->segmented ? "stratified k-fold grouped by track" : "stratified k-fold");
  json_key(&j, "k"), json_int(&j, r->folds);
  json_key(&j, "seed"), json_int(&j, (long long)seed);
  json_key(&j, "rows"), json_int(&j, (long long)d->n_rows);
  json_key(&j, "tracks"), json_int(&j, (long long)d->n_groups);
  write_cv_json(&j, r, d->labels, d->segmented);
  if (raw) write_cv_calibration(&j, raw, cal, T);
  json_end(&j);
  if (outfile_commit(&out, 1, err, sizeof err)) {
    fprintf(stderr, "genre %s: %s\n", cmd, err);
    return 1;
  }
  return 0;
}

/* Prints folds, mean +- std and the pooled confusion; writes the JSON. */
static int report(const char *cmd, const cv_result_t *r, const kind_data_t *d, int calibrated, const char *model,
                  const char *arch, const char *data, unsigned long seed, int threads, const char *json_path) {
  char *const *labels = d->labels;
  size_t rows = d->n_rows, tracks = d->n_groups;
  int segmented = d->segmented;
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
  printf(")\n");
  calibration_t raw, cal;
  double T = 1;
  calibrated = calibrated && !cv_calibration(r, d->y, rows, &raw, &cal, &T);
  if (calibrated)
    printf("calibration: ECE %.4f raw -> %.4f with each fold's temperature (fitted on the other folds' out-of-fold "
           "rows; mean T %.3f), log-loss %.4f -> %.4f\n", raw.ece, cal.ece, T, raw.logloss, cal.logloss);
  printf("\npooled over folds:\n");
  metrics_print(stdout, &r->segments, labels);
  if (!json_path || !dist_leader()) return 0; /* rank 0 writes */
  return write_json(cmd, r, d, calibrated ? &raw : NULL, &cal, T, model, arch, data, seed, json_path);
}

static void usage(FILE *f, const model_kind_t *k, const cli_option_t *const *tables) {
  fprintf(f, "usage: genre cv %s --%s %s [--folds K] [--json FILE] [options]\n\n%s\n", k->name, k->data_option,
          k->data_arg, k->cv_about);
  cli_help(f, tables);
}

/* The folds, run and reported. 0, or 1 after printing. */
static int cv_run_kind(const model_kind_t *k, const char *cmd, const kind_data_t *d, kind_opts_t *o, int folds,
                       int threads, const char *data, const char *json_path) {
  kind_common_t c = k->common(o);
  if (c.threads) *c.threads = threads; /* folds one after another, each batch split across the threads */
  else if (dist_size() > 1) threads = 1; /* the ranks share each fold's batches: folds one at a time */
  fold_model_t ctx = {k, d, o, NULL, 0, NULL}; /* temperatures cross-fitted over the folds */
  cv_setup_t s = {.y = d->y, .group = d->group, .n_rows = d->n_rows, .n_groups = d->n_groups, .K = d->n_classes,
                  .folds = folds, .seed = c.train->seed, .val_fraction = *c.val_fraction,
                  .threads = c.threads ? 1 : threads, .max_epochs = c.train->epochs, .fn = fold_model, .ctx = &ctx,
                  .cross_temperature = !c.train->calibrate_off};
  cv_result_t r;
  char err[1500];
  if (cv_run(&s, &r, err, sizeof err)) return fprintf(stderr, "genre %s: %s\n", cmd, err), 1;
  int rc = report(cmd, &r, d, !c.train->calibrate_off, k->title, c.arch, data, c.train->seed,
                  c.threads || threads < folds ? threads : folds, json_path);
  cv_result_free(&r);
  return rc;
}

static int cv_kind(const model_kind_t *k, int argc, char **argv) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "cv %s", k->name);
  const char *data = NULL, *json_path = NULL;
  int folds = k->default_folds, threads = cli_cores(), verbose = 0, help;
  kind_opts_t o;
  k->arch(cmd, "default", &o);
  char folds_help[40];
  snprintf(folds_help, sizeof folds_help, "folds (default %d)", folds);
  const cli_option_t own[] = {
      OPT_STRING(0, k->data_option, &data, k->data_arg, k->data_help),
      OPT_NUMBER(CLI_INT, 0, "folds", &folds, 2, 1000, 0, "K", "2 or more", folds_help),
      OPT_STRING(0, "json", &json_path, "FILE",
                 "write the results as JSON: accuracy_mean, accuracy_std,\n"
                 "top2_mean, macro_f1_mean, track_accuracy_mean (segments),\n"
                 "folds[] (per fold), labels, confusion (rows true),\n"
                 "calibration (ECE, Brier, log-loss raw and with temperatures)"),
      strcmp(k->data_option, "features") ? (cli_option_t)OPT_END() : ignore_columns_option(), OPT_END()};
  const cli_option_t *tables[] = {own, k->options(&o), training_options(k, &o, &threads, &verbose), NULL};
  int first = cli_parse(cmd, argc, argv, tables, &help);
  if (help) return usage(stdout, k, tables), 0;
  if (first < 0) return 1;
  if (!data || first < argc) {
    fprintf(stderr, "genre %s: --%s is required\n", cmd, k->data_option);
    return cli_usage_hint(cmd), 1;
  }
  if (cli_args_only) return 0;
  if (dist_start(cmd)) return 1;
  kind_data_t d;
  if (kind_load_classes(k, cmd, data, &d)) return 1;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  k->common(&o).train->verbose = verbose;
  int rc = cv_run_kind(k, cmd, &d, &o, folds, threads, data, json_path);
  k->free(&d);
  return rc;
}

int cv_main(int argc, char **argv) {
  const model_kind_t *k = argc >= 2 ? model_kind(argv[1]) : NULL;
  if (k) return cv_kind(k, argc - 1, argv + 1);
  FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(f, "usage: genre %s KIND ...   (KIND:", "cv");
  for (int i = 0; i < n_model_kinds; i++) fprintf(f, " %s", model_kinds[i].name);
  fprintf(f, "; genre cv KIND --help for its options)\n");
  return f == stdout ? 0 : 1;
}
