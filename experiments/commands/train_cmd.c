/* genre train ann: a model from a feature table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "dist.h"
#include "commands.h"
#include "folds.h"
#include "progress.h"
#include "mel_dataset.h"
#include "train_options.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

/* " on N processes" under a launcher that started several */
static const char *processes(void) {
  static char buf[40];
  if (dist_size() == 1) return "";
  snprintf(buf, sizeof buf, " on %d processes", dist_size());
  return buf;
}

static const char ann_usage[] =
    "usage: genre train ann --features CSV -o MODEL [options]\n"
    "\n"
    "Trains the dense network on a feature table in the Kaggle schema (ours or\n"
    "Kaggle's): `label` is the class, `filename` and `length` are not features,\n"
    "every other column is. Features are standardised with statistics of the\n"
    "training rows, stored in the model. A share of the tracks (never rows of a\n"
    "track on both sides) is held out to stop early and keep the best epoch.\n"
    "Under mpirun or srun --mpi=pmix the processes share every batch (gradients\n"
    "summed with MPI_Allreduce) and rank 0 writes MODEL.\n"
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
  optind = 0;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (c == 'f') features = optarg;
    else if (c == 'o') out = optarg;
    else if (c == 'h') return fputs(ann_usage, stdout), 0;
    else {
      int r = ann_option("train ann", c, optarg, &o, &threads, &verbose);
      if (r == 0) return fputs(ann_usage, stderr), 1;
      if (r < 0) return 1;
    }
  }
  if (!features || !out || optind < argc) {
    fprintf(stderr, "genre train ann: --features and -o are required\n\n%s", ann_usage);
    return 1;
  }
  if (cli_args_only) return 0;
  if (dist_start("train ann")) return 1;
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
    if (dist_leader() && model_save(&m, out, err, sizeof err)) {
      fprintf(stderr, "genre train ann: %s\n", err);
    } else {
      printf("trained %s (%zu parameters) for %d epochs in %.2f s%s; ", m.arch, m.net->n_params, epochs,
             now_seconds() - t0, processes());
      if (n_val)
        printf("kept epoch %d: val_loss %.4f, val_acc %.4f -> %s\n", best + 1, log[best].val_loss, log[best].val_acc, out);
      else /* nothing was held out: say what was measured */
        printf("no validation rows, kept the last epoch: training loss %.4f, training accuracy %.4f -> %s\n",
               log[epochs - 1].train_loss, log[epochs - 1].train_acc, out);
      rc = 0;
    }
    model_free(&m);
  }
  free(all), free(train), free(val), free(log);
  dataset_free(&d);
  return rc;
}

static const char cnn_usage[] =
    "usage: genre train cnn --mel OUTDIR -o MODEL [options]\n"
    "\n"
    "Trains the CNN on the log-mel spectrograms of genre extract (OUTDIR/mel). Each\n"
    "mel band is standardised with statistics of the training spectrograms, stored\n"
    "in the model. Augmentations apply to training batches only. Under mpirun or\n"
    "srun --mpi=pmix the processes share every batch (gradients summed with\n"
    "MPI_Allreduce, batch norm synchronised) and rank 0 writes MODEL.\n"
    "\n"
    "  --mel OUTDIR         what genre extract wrote (or its mel/ directory)\n"
    "  -o, --output MODEL   the model file to write\n" CNN_OPTIONS_HELP;

static int train_cnn(int argc, char **argv) {
  const char *mel = NULL, *out = NULL;
  cnn_opts_t o;
  int threads, verbose;
  if (cnn_options_parse("train cnn", argc, argv, &o, &threads, &verbose)) return 1;
  static const struct option opts[] = {{"mel", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'}, TRAIN_LONG_OPTIONS, {0, 0, 0, 0}};
  optind = 0;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    if (c == 'm') mel = optarg;
    else if (c == 'o') out = optarg;
    else if (c == 'h') return fputs(cnn_usage, stdout), 0;
    else {
      int r = cnn_option("train cnn", c, optarg, &o, &threads, &verbose);
      if (r == 0) return fputs(cnn_usage, stderr), 1;
      if (r < 0) return 1;
    }
  }
  if (!mel || !out || optind < argc) {
    fprintf(stderr, "genre train cnn: --mel and -o are required\n\n%s", cnn_usage);
    return 1;
  }
  if (cli_args_only) return 0;
  if (dist_start("train cnn")) return 1;
  char err[1500];
  mel_dataset_t d;
  if (mel_dataset_load(mel, NULL, 0, &d, err, sizeof err)) {
    fprintf(stderr, "genre train cnn: %s\n", err);
    return 1;
  }
  if (d.n_classes < 2) {
    fprintf(stderr, "genre train cnn: %s: a single label ('%s'): nothing to classify\n", mel, d.labels[0]);
    mel_dataset_free(&d);
    return 1;
  }
  /* our workers split each batch; BLAS runs single-threaded inside them */
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  o.threads = threads;
  size_t *all = malloc(d.n_rows * sizeof *all), *train = malloc(d.n_rows * sizeof *train);
  size_t *val = malloc(d.n_rows * sizeof *val), n_train, n_val;
  epoch_log_t *log = calloc((size_t)o.train.epochs, sizeof *log);
  if (!all || !train || !val || !log) {
    fprintf(stderr, "genre train cnn: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < d.n_rows; i++) all[i] = i;
  split_validation(all, d.n_rows, d.group, d.y, d.n_groups, o.val_fraction, o.train.seed, train, &n_train, val, &n_val);
  o.train.verbose = verbose, o.train.tag = "train";
  fprintf(stderr, "training %s on %zu spectrograms (%zu tracks, %d labels), validating on %zu\n", o.arch, n_train,
          d.n_groups, d.n_classes, n_val);
  model_t m;
  int epochs = 0, rc = 1;
  double t0 = now_seconds();
  if (cnn_fit(&d, train, n_train, val, n_val, &o, &m, log, &epochs, err, sizeof err)) {
    fprintf(stderr, "genre train cnn: %s\n", err);
  } else if (dist_leader() && model_save(&m, out, err, sizeof err)) {
    fprintf(stderr, "genre train cnn: %s\n", err);
    model_free(&m);
  } else {
    double secs = now_seconds() - t0;
    printf("trained %s (%zu parameters) for %d epochs in %.1f s%s (%.0f spectrograms/s); last epoch: loss %.4f, acc %.4f",
           m.arch, m.net->n_params, epochs, secs, processes(), (double)n_train * epochs / secs, log[epochs - 1].train_loss,
           log[epochs - 1].train_acc);
    if (n_val) printf(", val_acc %.4f", log[epochs - 1].val_acc);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf(" -> %s (peak RSS %.0f MB; spectrograms %.0f MB, streamed from disk)\n", out, ru.ru_maxrss / 1024.0,
           d.n_rows * (double)d.bands * d.frames * sizeof(float) / 1e6);
    model_free(&m);
    rc = 0;
  }
  free(all), free(train), free(val), free(log);
  mel_dataset_free(&d);
  return rc;
}

int train_main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "ann") == 0) return train_ann(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "cnn") == 0) return train_cnn(argc - 1, argv + 1);
  FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
  fprintf(f, "usage: genre train ann|cnn ...   (genre train ann --help, genre train cnn --help)\n");
  return f == stdout ? 0 : 1;
}
