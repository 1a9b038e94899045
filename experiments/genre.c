/* bin/genre: one executable, git-style subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "extract.h"
#include "synth.h"

typedef struct command {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *summary;
} command_t;

static const command_t commands[] = {
    {"extract", extract_main, "audio files -> GTZAN-schema feature CSVs and log-mel spectrograms"},
    {"synth", synth_main, "write the deterministic synthetic corpus (GTZAN layout)"},
    {"train", train_main, "train a model: train ann (feature table) | train cnn (log-mel spectrograms)"},
    {"evaluate", evaluate_main, "accuracy, per-class scores and confusion matrix of a model"},
    {"cv", cv_main, "stratified K-fold cross-validation, grouped by track"},
    {"experiment", experiment_main, "ANN vs CNN vs ensemble on the same folds: report, tables, pictures"},
};

static void print_help(FILE *f) {
  fprintf(f, "usage: genre <command> [options]   (genre <command> --help for its options)\n\n"
             "Music genre classification, end to end: features faithful to librosa,\n"
             "an ANN and a CNN in C, evaluated under one honest protocol.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* Debian's OpenBLAS 0.3.21 does not know recent Xeons (e.g. Emerald Rapids,
 * family 6 model 207) and falls back to its generic "Prescott" kernels, several
 * times slower. When the CPU has AVX-512 (or AVX2) and the user has not chosen,
 * restart once with the matching core type; OpenBLAS reads it at load time. */
extern char *openblas_get_corename(void) __attribute__((weak));
static void select_openblas_core(char **argv) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (!openblas_get_corename || getenv("OPENBLAS_CORETYPE") || getenv("GENRE_NO_REEXEC")) return;
  const char *core = openblas_get_corename();
  if (!core || strcasecmp(core, "prescott") != 0) return;
  __builtin_cpu_init();
  const char *want = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                     : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                       : NULL;
  if (!want) return;
  setenv("OPENBLAS_CORETYPE", want, 1);
  setenv("GENRE_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv); /* on failure, carry on with the generic kernels */
#else
  (void)argv;
#endif
}

int main(int argc, char **argv) {
  select_openblas_core(argv);
  if (argc == 2 && strcmp(argv[1], "--blas-core") == 0) { /* for make bench: the core type chosen */
    const char *c = getenv("OPENBLAS_CORETYPE");
    printf("%s\n", c ? c : openblas_get_corename ? openblas_get_corename() : "unknown");
    return 0;
  }
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    print_help(stdout);
    return argc < 2 ? 1 : 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].main(argc - 1, argv + 1);
  fprintf(stderr, "genre: unknown command '%s'\n\n", argv[1]);
  print_help(stderr);
  return 1;
}
