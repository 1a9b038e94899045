/* genre experiment: the ANN, the CNN and their ensemble under one protocol,
 * on the same folds, with a report a person can read. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "augment.h"
#include "commands.h"
#include "fold_models.h"
#include "folds.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"
#include "train_options.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char usage[] =
    "usage: genre experiment --data OUTDIR -o results/NAME [options]\n"
    "       genre experiment --features CSV -o results/NAME [options]   (feature models only)\n"
    "\n"
    "Runs the ANN (on OUTDIR/features_3_sec.csv), the CNN (on OUTDIR/mel) and their\n"
    "ensemble (the mean of their probabilities per segment) on the same folds, and\n"
    "writes results/NAME: report.md (tables and pictures), confusion_<model>.csv\n"
    "and .svg, curves_<model>.svg, metrics.json and predictions.csv. The directory\n"
    "is replaced only when the whole report is written.\n"
    "\n"
    "  --data OUTDIR        what genre extract wrote\n"
    "  --features CSV       a feature table alone (e.g. Kaggle's): ANN only\n"
    "  -o, --output DIR     the report directory\n"
    "  --models LIST        ann,cnn,ensemble (default: all that the data allows)\n"
    "  --protocol P         grouped-kfold (default): stratified folds of tracks, a\n"
    "                       track's segments all in one fold; random-split: the seeds'\n"
    "                       80/20 split of segments, leaky (reported as such)\n"
    "  --folds K            folds (default 5)\n"
    "  --seed S             seeds the folds and every model (default 1)\n"
    "  --epochs N           epochs of both models; --ann-epochs N, --cnn-epochs N\n"
    "  --ann-arch A, --cnn-arch A   presets (default: default)\n"
    "  --augment LIST       the CNN's augmentations (default: its preset's)\n"
    "  --members N          ANN ensemble size (default: its preset's)\n"
    "  --threads T          threads (default: all cores)\n";

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

int experiment_main(int argc, char **argv) {
  const char *data = NULL, *features = NULL, *out = NULL, *models = NULL, *protocol = "grouped-kfold";
  int folds = 5, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), ann_epochs = 0, cnn_epochs = 0, members = 0;
  int augment = -1;
  unsigned long seed = 1;
  const char *ann_arch = "default", *cnn_arch = "default";
  enum { O_DATA = 2000, O_FEATURES, O_MODELS, O_PROTOCOL, O_FOLDS, O_SEED, O_EPOCHS, O_AEPOCHS, O_CEPOCHS, O_AARCH,
         O_CARCH, O_AUGMENT, O_MEMBERS, O_THREADS };
  static const struct option opts[] = {
      {"data", required_argument, 0, O_DATA},       {"features", required_argument, 0, O_FEATURES},
      {"output", required_argument, 0, 'o'},        {"models", required_argument, 0, O_MODELS},
      {"protocol", required_argument, 0, O_PROTOCOL}, {"folds", required_argument, 0, O_FOLDS},
      {"seed", required_argument, 0, O_SEED},       {"epochs", required_argument, 0, O_EPOCHS},
      {"ann-epochs", required_argument, 0, O_AEPOCHS}, {"cnn-epochs", required_argument, 0, O_CEPOCHS},
      {"ann-arch", required_argument, 0, O_AARCH},  {"cnn-arch", required_argument, 0, O_CARCH},
      {"augment", required_argument, 0, O_AUGMENT}, {"members", required_argument, 0, O_MEMBERS},
      {"threads", required_argument, 0, O_THREADS}, {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  optind = 0;
  int c;
  char err[4500];
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    char *end = NULL;
    long v = optarg ? strtol(optarg, &end, 10) : 0;
    int number_ok = optarg && end && !*end && *optarg;
    switch (c) {
    case O_DATA: data = optarg; break;
    case O_FEATURES: features = optarg; break;
    case 'o': out = optarg; break;
    case O_MODELS: models = optarg; break;
    case O_PROTOCOL: protocol = optarg; break;
    case O_FOLDS: folds = (int)v; if (!number_ok || folds < 2 || folds > 100) goto bad; break;
    case O_SEED: seed = strtoul(optarg, &end, 10); if (*end || !*optarg) goto bad; break;
    case O_EPOCHS: ann_epochs = cnn_epochs = (int)v; if (!number_ok || v < 1) goto bad; break;
    case O_AEPOCHS: ann_epochs = (int)v; if (!number_ok || v < 1) goto bad; break;
    case O_CEPOCHS: cnn_epochs = (int)v; if (!number_ok || v < 1) goto bad; break;
    case O_AARCH: ann_arch = optarg; break;
    case O_CARCH: cnn_arch = optarg; break;
    case O_AUGMENT: if (augment_parse(optarg, &augment, err, sizeof err)) goto bad; break;
    case O_MEMBERS: members = (int)v; if (!number_ok || v < 1 || v > 64) goto bad; break;
    case O_THREADS: threads = (int)v; if (!number_ok || v < 1 || v > 64) goto bad; break;
    case 'h': fputs(usage, stdout); return 0;
    default: fputs(usage, stderr); return 1;
    }
    continue;
  bad:
    fprintf(stderr, "genre experiment: bad value '%s'\n", optarg);
    return 1;
  }
  if (!out || (!data == !features) || optind < argc) {
    fprintf(stderr, "genre experiment: -o and one of --data / --features are required\n\n%s", usage);
    return 1;
  }
  int leaky = strcmp(protocol, "random-split") == 0;
  if (!leaky && strcmp(protocol, "grouped-kfold") != 0) {
    fprintf(stderr, "genre experiment: --protocol is grouped-kfold or random-split, not '%s'\n", protocol);
    return 1;
  }
  int want[M_COUNT] = {1, data != NULL, data != NULL};
  if (models) {
    memset(want, 0, sizeof want);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", models);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
      int k = -1;
      for (int m = 0; m < M_COUNT; m++)
        if (strcmp(t, model_key[m]) == 0) k = m;
      if (k < 0) {
        fprintf(stderr, "genre experiment: --models lists ann, cnn, ensemble; not '%s'\n", t);
        return 1;
      }
      want[k] = 1;
    }
  }
  if (want[M_ENS]) want[M_ANN] = want[M_CNN] = 1;
  if (features && want[M_CNN]) {
    fprintf(stderr, "genre experiment: --features gives no spectrograms: the CNN and the ensemble need --data\n");
    return 1;
  }

  ann_opts_t ao;
  cnn_opts_t co;
  if (ann_preset(ann_arch, &ao) || cnn_preset(cnn_arch, &co)) {
    fprintf(stderr, "genre experiment: unknown preset '%s'\n", ann_preset(ann_arch, &ao) ? ann_arch : cnn_arch);
    return 1;
  }
  if (ann_epochs) ao.train.epochs = ann_epochs;
  if (cnn_epochs) co.train.epochs = cnn_epochs;
  if (members) ao.members = members;
  if (augment >= 0) co.augment = augment;
  ao.train.seed = co.train.seed = seed;
  if (cli_args_only) return 0;

  /* data */
  dataset_t table = {0};
  mel_dataset_t mel = {0};
  char path[4200];
  const char *table_path = features;
  if (want[M_ANN] && data) snprintf(path, sizeof path, "%s/features_3_sec.csv", data), table_path = path;
  if (want[M_ANN] && dataset_load(table_path, NULL, 0, NULL, 0, &table, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    return 1;
  }
  if (want[M_CNN] && mel_dataset_load(data, want[M_ANN] ? table.labels : NULL, want[M_ANN] ? table.n_classes : 0, &mel,
                                      err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    dataset_free(&table);
    return 1;
  }
  rows_t rows = {0};
  int rc = 1;
  cv_result_t res[M_COUNT];
  memset(res, 0, sizeof res);
  int have[M_COUNT] = {0};
  char *const *labels = want[M_ANN] ? table.labels : mel.labels;
  int K = want[M_ANN] ? table.n_classes : mel.n_classes;
  if (align(want[M_ANN] ? &table : NULL, want[M_CNN] ? &mel : NULL, &rows, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    goto out;
  }
  if (K < 2) {
    fprintf(stderr, "genre experiment: a single label: nothing to classify\n");
    goto out;
  }
  if (want[M_ANN] && want[M_CNN] && (rows.n < table.n_rows || rows.n < mel.n_rows))
    fprintf(stderr, "genre experiment: %zu segments in both the table (%zu) and the spectrograms (%zu): using those\n",
            rows.n, table.n_rows, mel.n_rows);

  /* the folds every model sees: over tracks, or over segments (leaky) */
  size_t units = leaky ? rows.n : rows.n_tracks;
  int k_folds = leaky ? 5 : folds;
  for (size_t i = 0; i < rows.n; i++) rows.unit[i] = leaky ? (int)i : rows.track[i];
  int *fold_of_unit = malloc(units * sizeof(int));
  if (!fold_of_unit || folds_assign(rows.unit, rows.y, rows.n, units, K, k_folds, seed, fold_of_unit, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", fold_of_unit ? err : "out of memory");
    free(fold_of_unit);
    goto out;
  }
  if ((size_t)k_folds > units) {
    fprintf(stderr, "genre experiment: %d folds for %zu tracks\n", k_folds, units);
    free(fold_of_unit);
    goto out;
  }
  cv_setup_t base = {.y = rows.y, .group = rows.unit, .track = rows.track, .n_rows = rows.n, .n_groups = units, .K = K,
                     .folds = k_folds, .seed = seed, .fold_of_track = fold_of_unit, .run_folds = leaky ? 1 : 0,
                     .monitor_test = 1};
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  fold_ann_t actx = {&table, &ao, rows.ann_row};
  fold_cnn_t cctx = {&mel, &co, rows.mel_row};
  cv_setup_t setup[M_COUNT] = {base, base, base};
  setup[M_ANN].val_fraction = ao.val_fraction, setup[M_ANN].threads = threads, setup[M_ANN].max_epochs = ao.train.epochs;
  setup[M_ANN].fn = fold_ann, setup[M_ANN].ctx = &actx;
  co.threads = threads; /* the CNN's folds one at a time, each batch split across threads */
  setup[M_CNN].val_fraction = co.val_fraction, setup[M_CNN].threads = 1, setup[M_CNN].max_epochs = co.train.epochs;
  setup[M_CNN].fn = fold_cnn, setup[M_CNN].ctx = &cctx;
  for (int m = M_ANN; m <= M_CNN; m++) {
    if (!want[m]) continue;
    fprintf(stderr, "genre experiment: %s, %d folds%s...\n", model_key[m], k_folds, leaky ? " (random split: 1 of 5)" : "");
    if (cv_run(&setup[m], &res[m], err, sizeof err)) {
      fprintf(stderr, "genre experiment: %s: %s\n", model_key[m], err);
      free(fold_of_unit);
      goto out;
    }
    have[m] = 1;
  }
  if (want[M_ENS]) { /* the mean of both models' probabilities, per segment */
    setup[M_ENS].max_epochs = 1;
    if (cv_result_alloc(&setup[M_ENS], &res[M_ENS])) {
      fprintf(stderr, "genre experiment: out of memory\n");
      free(fold_of_unit);
      goto out;
    }
    for (size_t i = 0; i < rows.n * (size_t)K; i++) res[M_ENS].probs[i] = (res[M_ANN].probs[i] + res[M_CNN].probs[i]) / 2;
    memcpy(res[M_ENS].fold_of_row, res[M_ANN].fold_of_row, rows.n * sizeof(int));
    memcpy(res[M_ENS].fold_of_track, res[M_ANN].fold_of_track, units * sizeof(int));
    for (int f = 0; f < res[M_ENS].folds; f++) res[M_ENS].fold[f].seconds = res[M_ANN].fold[f].seconds + res[M_CNN].fold[f].seconds;
    cv_score(&setup[M_ENS], &res[M_ENS]);
    have[M_ENS] = 1;
  }
  free(fold_of_unit);

  /* the report, in a fresh directory next to the destination, then swapped in */
  char tmp[4300], parent[4200];
  snprintf(parent, sizeof parent, "%s", out);
  char *slash = strrchr(parent, '/');
  if (slash) *slash = '\0';
  if (slash && make_dirs(parent, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    goto out;
  }
  snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", out);
  if (!mkdtemp(tmp)) {
    fprintf(stderr, "genre experiment: %s: cannot create a directory: %s\n", tmp, strerror(errno));
    goto out;
  }
  mode_t mask = umask(022);
  umask(mask);
  chmod(tmp, 0777 & ~mask); /* mkdtemp makes it private; a report is for reading */
  report_t rep = {.labels = labels, .K = K, .rows = rows.n, .tracks = rows.n_tracks, .names = rows.names,
                  .track_names = rows.tracks, .track = rows.track, .y = rows.y, .leaky = leaky, .folds = k_folds,
                  .seed = seed, .data = data ? data : features, .argc = argc, .argv = argv,
                  .ann = &ao, .cnn = &co};
  for (int m = 0; m < M_COUNT; m++) {
    rep.have[m] = have[m];
    rep.result[m] = have[m] ? &res[m] : NULL;
  }
  if (report_write(&rep, tmp, err, sizeof err) || swap_in(tmp, out, err, sizeof err)) {
    fprintf(stderr, "genre experiment: %s\n", err);
    if (remove_tree(tmp)) fprintf(stderr, "genre experiment: could not remove %s\n", tmp);
    goto out;
  }
  report_print_table(&rep, stdout);
  printf("\nreport: %s/report.md\n", out);
  rc = 0;
out:
  for (int m = 0; m < M_COUNT; m++)
    if (res[m].fold) cv_result_free(&res[m]);
  rows_free(&rows);
  dataset_free(&table);
  mel_dataset_free(&mel);
  return rc;
}
