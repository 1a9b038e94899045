/* bin/genre's command table: git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include <sndfile.h>

#include "classic.h"
#include "commands.h"

#define GENRE_VERSION "0.9"

extern char *openblas_get_config(void) __attribute__((weak));

typedef struct command {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *summary;
} command_t;

static const command_t commands[] = {
    {"extract", extract_main, "audio files -> GTZAN-schema feature CSVs and log-mel spectrograms"},
    {"synth", synth_main, "write the deterministic synthetic corpus (GTZAN layout)"},
    {"train", train_main, "train a model: ann, knn, svm, logreg, gbdt, rf (a feature table) | cnn (log-mel spectrograms)"},
    {"evaluate", evaluate_main, "accuracy, per-class scores and confusion matrix of a model"},
    {"cv", cv_main, "stratified K-fold cross-validation, grouped by track"},
    {"predict", predict_main, "classify audio files, folders or a live PCM stream with trained models"},
    {"explain", explain_main, "why a model decided on a recording: a CNN's occlusion and gradient maps, an ANN's features"},
    {"embed", embed_main, "a model's activations per segment and per recording (.npy)"},
    {"export", export_main, "models as an ONNX graph with its card, for other runtimes"},
    {"experiment", experiment_main, "any list of models on the same folds (ANN, CNN, baselines, ensembles): report"},
    {"info", info_main, "what a model file (ours or .onnx) holds: kind, classes, inputs, layers, training"},
    {"folds", folds_main, "the folds an experiment draws, as track,repeat,fold (for another tool's models)"},
};

static void print_help(FILE *f) {
  fprintf(f, "usage: genre <command> [options]   (genre <command> --help for its options)\n\n"
             "Music genre classification, end to end: features faithful to librosa,\n"
             "an ANN, a CNN and the classical baselines in C, evaluated under one honest\n"
             "protocol. genre --version: the version and its libraries'.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

static void print_version(void) {
  int major, minor, patch;
  trees_library_version(&major, &minor, &patch);
  int svm = svm_library_version();
  printf("genre %s\nfeatures: librosa 0.10.1's recipe\nlibsndfile: %s\nlibsvm: %d.%02d\nXGBoost: %d.%d.%d\n",
         GENRE_VERSION, sf_version_string(), svm / 100, svm % 100, major, minor, patch);
  if (openblas_get_config) printf("OpenBLAS: %s\n", openblas_get_config());
}

/* Edits (insert, delete, replace, swap two neighbours) from a to b, for "did you mean". */
static int distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b), d[24][24];
  if (la > 22 || lb > 22) return 99;
  for (int i = 0; i <= la; i++)
    for (int j = 0; j <= lb; j++) {
      if (!i || !j) { d[i][j] = i + j; continue; }
      int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

static void unknown_command(const char *name) {
  const char *near = NULL;
  int best = 3; /* at most two edits away */
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    int d = distance(name, commands[i].name);
    if (d < best) best = d, near = commands[i].name;
  }
  fprintf(stderr, "genre: unknown command '%s'", name);
  if (near) fprintf(stderr, "; did you mean '%s'?", near);
  fprintf(stderr, " (genre --help lists the commands)\n");
}

int genre_dispatch(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return argc < 2 ? 1 : 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) return print_version(), 0;
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].main(argc - 1, argv + 1);
  unknown_command(argv[1]);
  return 1;
}
