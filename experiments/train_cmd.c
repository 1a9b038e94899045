/* genre train ann: a model from a feature table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "folds.h"
#include "progress.h"
#include "train_options.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char ann_usage[] =
    "usage: genre train ann --features CSV -o MODEL [options]\n"
    "\n"
    "Trains the dense network on a feature table in the Kaggle schema (ours or\n"
    "Kaggle's): `label` is the class, `filename` and `length` are not features,\n"
    "every other column is. Features are standardised with statistics of the\n"
    "training rows, stored in the model. A share of the tracks (never rows of a\n"
    "track on both sides) is held out to stop early and keep the best epoch.\n"
    "\n"
    "  --features CSV       the table\n"
    "  -o, --output MODEL   the model file to write\n" TRAIN_OPTIONS_HELP;

static int train_ann(int argc, char **argv) {
  const char *features = NULL, *out = NULL;
  ann_opts_t o;
  int threads, verbose;
  if (train_options_parse("train ann", argc, argv, &o, &threads, &verbose)) return 1;
  static const struct option opts[] = {{"features", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'}, TRAIN_LONG_OPTIONS, {0, 0, 0, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (c == 'f') features = optarg;
    else if (c == 'o') out = optarg;
    else if (c == 'h') return fputs(ann_usage, stdout), 0;
    else {
      int r = train_option("train ann", c, optarg, &o, &threads, &verbose);
      if (r == 0) return fputs(ann_usage, stderr), 1;
      if (r < 0) return 1;
    }
  }
  if (!features || !out || optind < argc) {
    fprintf(stderr, "genre train ann: --features and -o are required\n\n%s", ann_usage);
    return 1;
  }
  char err[1500];
  dataset_t d;
  if (dataset_load(features, NULL, 0, NULL, 0, &d, err, sizeof err)) {
    fprintf(stderr, "genre train ann: %s\n", err);
    return 1;
  }
  if (d.n_classes < 2) {
    fprintf(stderr, "genre train ann: %s: a single label ('%s'): nothing to classify\n", features, d.labels[0]);
    dataset_free(&d);
    return 1;
  }
  if (openblas_set_num_threads) openblas_set_num_threads(1); /* small matrices: one thread is fastest */
  size_t *all = malloc(d.n_rows * sizeof *all), *train = malloc(d.n_rows * sizeof *train);
  size_t *val = malloc(d.n_rows * sizeof *val), n_train, n_val;
  epoch_log_t *log = calloc((size_t)o.train.epochs, sizeof *log);
  if (!all || !train || !val || !log) {
    fprintf(stderr, "genre train ann: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < d.n_rows; i++) all[i] = i;
  split_validation(all, d.n_rows, d.group, d.y, d.n_groups, o.val_fraction, o.train.seed, train, &n_train, val, &n_val);
  o.train.verbose = verbose, o.train.tag = "train";
  fprintf(stderr, "training on %zu rows (%zu tracks, %d labels, %zu features), validating on %zu rows\n", n_train,
          d.n_groups, d.n_classes, d.n_features, n_val);
  model_t m;
  int epochs = 0, rc = 1;
  double t0 = now_seconds();
  if (ann_fit(&d, train, n_train, val, n_val, &o, &m, log, &epochs, err, sizeof err)) {
    fprintf(stderr, "genre train ann: %s\n", err);
  } else {
    int best = 0;
    for (int e = 1; e < epochs; e++)
      if (log[e].val_loss < log[best].val_loss) best = e;
    if (model_save(&m, out, err, sizeof err)) {
      fprintf(stderr, "genre train ann: %s\n", err);
    } else {
      printf("trained %s (%zu parameters) for %d epochs in %.2f s; kept epoch %d: val_loss %.4f, val_acc %.4f -> %s\n",
             m.arch, m.net->n_params, epochs, now_seconds() - t0, n_val ? best + 1 : epochs,
             n_val ? log[best].val_loss : log[epochs - 1].train_loss, n_val ? log[best].val_acc : log[epochs - 1].train_acc,
             out);
      rc = 0;
    }
    model_free(&m);
  }
  free(all), free(train), free(val), free(log);
  dataset_free(&d);
  return rc;
}

int train_main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "ann") == 0) return train_ann(argc - 1, argv + 1);
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: genre train ann ...   (genre train ann --help)\n");
    return 0;
  }
  fprintf(stderr, "usage: genre train ann ...   (genre train ann --help)\n");
  return 1;
}
