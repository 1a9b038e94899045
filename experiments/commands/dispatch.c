/* bin/genre's command table: git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

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
    {"explain", explain_main, "why a model decided: a CNN's occlusion and gradient maps, an ANN's features"},
    {"embed", embed_main, "a model's activations per segment and per recording (.npy)"},
    {"export", export_main, "models as an ONNX graph with its card, for other runtimes"},
    {"experiment", experiment_main, "ANN vs CNN vs ensemble on the same folds: report, tables, pictures"},
    {"folds", folds_main, "the folds an experiment draws, as track,repeat,fold (for another tool's models)"},
};

static void print_help(FILE *f) {
  fprintf(f, "usage: genre <command> [options]   (genre <command> --help for its options)\n\n"
             "Music genre classification, end to end: features faithful to librosa,\n"
             "an ANN and a CNN in C, evaluated under one honest protocol.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int genre_dispatch(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return argc < 2 ? 1 : 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].main(argc - 1, argv + 1);
  fprintf(stderr, "genre: unknown command '%s'\n\n", argv[1]);
  print_help(stderr);
  return 1;
}
