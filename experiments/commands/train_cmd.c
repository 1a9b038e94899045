/* genre train ann|cnn: a model from a feature table or from spectrograms, one
 * path for every kind of model_kinds[]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dist.h"
#include "folds.h"
#include "model_kind.h"
#include "temperature.h"
#include "progress.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static void usage(FILE *f, const model_kind_t *k, const cli_option_t *const *tables) {
  fprintf(f, "usage: genre train %s --%s %s -o MODEL [options]\n\n%s\n", k->name, k->data_option, k->data_arg,
          k->train_about);
  cli_help(f, tables);
}

/* The validation split, the fit and the model file. 0, or 1 after printing. */
static int train_run(const model_kind_t *k, const char *cmd, const char *data_path, const kind_data_t *d, kind_opts_t *o,
                     const char *out) {
  kind_common_t c = k->common(o);
  size_t *all = malloc(d->n_rows * sizeof *all), *train = malloc(d->n_rows * sizeof *train);
  size_t *val = malloc(d->n_rows * sizeof *val), n_train, n_val;
  epoch_log_t *log = calloc((size_t)c.train->epochs, sizeof *log);
  int rc = 1;
  if (!all || !train || !val || !log) {
    fprintf(stderr, "genre %s: out of memory\n", cmd);
    goto done;
  }
  for (size_t i = 0; i < d->n_rows; i++) all[i] = i;
  split_validation(all, d->n_rows, d->group, d->y, d->n_groups, *c.val_fraction, c.train->seed, train, &n_train, val,
                   &n_val);
  k->describe(d, o, n_train, n_val);
  char err[1500];
  model_t m;
  int epochs = 0;
  double t0 = now_seconds();
  double T[2] = {1, 1};
  size_t t_rows[2] = {0, 0};
  int calibrate = !k->common(o).train->calibrate_off;
  if (calibrate && kind_temperature(k, d, train, n_train, val, n_val, o, NULL, T, t_rows, err, sizeof err)) {
    fprintf(stderr, "genre %s: the temperature's twin: %s\n", cmd, err);
    goto done;
  }
  if (k->fit(d, train, n_train, val, n_val, o, &m, log, &epochs, err, sizeof err)) {
    fprintf(stderr, "genre %s: %s\n", cmd, err);
    goto done;
  }
  if (calibrate && kind_temperature(k, d, train, n_train, val, n_val, o, &m, T, t_rows, err, sizeof err)) {
    fprintf(stderr, "genre %s: the temperature: %s\n", cmd, err);
    model_free(&m);
    goto done;
  }
  m.temperature = (float)T[0], m.track_temperature = (float)T[1];
  if (t_rows[0]) {
    fprintf(stderr, "temperature %.3f, fitted on %zu held-out rows%s; ", T[0], t_rows[0],
            n_val ? "" : " (the model holds none out: a twin trained on the other 90% of its tracks)");
    if (t_rows[1] >= TEMPERATURE_MIN_TRACKS) fprintf(stderr, "track temperature %.3f, on their %zu tracks\n", T[1], t_rows[1]);
    else fprintf(stderr, "no track temperature (%zu held-out tracks, fewer than %d)\n", t_rows[1], TEMPERATURE_MIN_TRACKS);
  }
  char figures[200], protocol[300], command[96];
  int best = kind_best_epoch(log, epochs);
  if (n_val) snprintf(figures, sizeof figures, "{\"epochs\": %d, \"validation_accuracy\": %.4f}", epochs, log[best].val_acc);
  else snprintf(figures, sizeof figures, "{\"epochs\": %d, \"training_accuracy\": %.4f}", epochs, log[epochs - 1].train_acc);
  snprintf(protocol, sizeof protocol, "trained on %zu rows; %zu rows of other tracks held out to stop early", n_train, n_val);
  snprintf(command, sizeof command, "genre %s --arch %s", cmd, k->common(o).arch);
  m.about = model_about(command, data_path, n_train + n_val, d->n_groups, protocol, figures);
  if (dist_leader() && model_save(&m, out, err, sizeof err)) {
    fprintf(stderr, "genre %s: %s\n", cmd, err);
  } else {
    k->trained(d, &m, log, epochs, n_train, n_val, now_seconds() - t0, out);
    rc = 0;
  }
  model_free(&m);
done:
  free(all), free(train), free(val), free(log);
  return rc;
}

/* given: a dataset already in memory (train_given), else NULL: the one --features/--mel names. */
static int train_kind(const model_kind_t *k, int argc, char **argv, const kind_data_t *given) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "train %s", k->name);
  const char *data = NULL, *out = NULL;
  kind_opts_t o;
  int threads = cli_cores(), verbose = 2, help;
  k->arch(cmd, "default", &o);
  const cli_option_t own[] = {OPT_STRING(0, k->data_option, &data, k->data_arg, k->data_help),
                              OPT_STRING('o', "output", &out, "MODEL", "the model file to write"),
                              strcmp(k->data_option, "features") ? (cli_option_t)OPT_END() : ignore_columns_option(),
                              OPT_END()};
  const cli_option_t *tables[] = {own, k->options(&o), training_options(k, &o, &threads, &verbose), NULL};
  int first = cli_parse(cmd, argc, argv, tables, &help);
  if (help) return usage(stdout, k, tables), 0;
  if (first < 0) return 1;
  if (!data || !out || first < argc) {
    fprintf(stderr, "genre %s: --%s and -o are required\n", cmd, k->data_option);
    return cli_usage_hint(cmd), 1;
  }
  if (cli_args_only) return 0;
  if (dist_start(cmd)) return 1;
  kind_data_t d;
  if (given && kind_check_classes(cmd, data, given)) return 1;
  if (given) d = *given;
  else if (kind_load_classes(k, cmd, data, &d)) return 1;
  /* small matrices, or our workers splitting each batch: BLAS runs single-threaded */
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  kind_common_t c = k->common(&o);
  if (c.threads) *c.threads = threads;
  c.train->verbose = verbose, c.train->tag = "train", c.train->score_training = 1;
  int rc = train_run(k, cmd, data, &d, &o, out);
  if (!given) k->free(&d);
  return rc;
}

int train_given(int argc, char **argv, const kind_data_t *given) {
  const model_kind_t *k = argc >= 2 ? model_kind(argv[1]) : NULL;
  if (!k) return fprintf(stderr, "genre train: no kind '%s'\n", argc >= 2 ? argv[1] : ""), 1;
  return train_kind(k, argc - 1, argv + 1, given);
}

int train_main(int argc, char **argv) {
  const model_kind_t *k = argc >= 2 ? model_kind(argv[1]) : NULL;
  if (k) return train_kind(k, argc - 1, argv + 1, NULL);
  FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(f, "usage: genre %s KIND ...   (KIND:", "train");
  for (int i = 0; i < n_model_kinds; i++) fprintf(f, " %s", model_kinds[i].name);
  fprintf(f, "; genre train KIND --help for its options)\n");
  return f == stdout ? 0 : 1;
}
