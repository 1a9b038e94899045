#include "train_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bad(const char *cmd, const char *what, const char *arg) {
  fprintf(stderr, "genre %s: %s, not '%s'\n", cmd, what, arg);
  return -1;
}

int train_option(const char *cmd, int code, const char *arg, ann_opts_t *o, int *threads, int *verbose) {
  char *end;
  switch (code) {
  case OPT_ARCH:
    return 1; /* applied first by train_options_parse */
  case OPT_HIDDEN: {
    o->n_hidden = 0;
    const char *p = arg;
    while (*p) {
      long v = strtol(p, &end, 10);
      if (end == p || v < 1 || v > 65536 || o->n_hidden == 16) return bad(cmd, "--hidden wants sizes like 512,256,128", arg);
      o->hidden[o->n_hidden++] = (int)v;
      p = *end == ',' ? end + 1 : end;
      if (*end && *end != ',') return bad(cmd, "--hidden wants sizes like 512,256,128", arg);
    }
    return 1;
  }
  case OPT_DROPOUT:
    o->dropout = strtof(arg, &end);
    if (*end || !(o->dropout >= 0 && o->dropout < 1)) return bad(cmd, "--dropout wants 0 <= P < 1", arg);
    return 1;
  case OPT_BATCHNORM: o->batchnorm = 1; return 1;
  case OPT_EPOCHS:
    o->train.epochs = (int)strtol(arg, &end, 10);
    if (*end || o->train.epochs < 1 || o->train.epochs > 100000) return bad(cmd, "--epochs wants a positive count", arg);
    return 1;
  case OPT_BATCH:
    o->train.batch = (int)strtol(arg, &end, 10);
    if (*end || o->train.batch < 1 || o->train.batch > 65536) return bad(cmd, "--batch wants a positive size", arg);
    return 1;
  case OPT_LR:
    o->train.adam.lr = strtod(arg, &end);
    if (*end || !(o->train.adam.lr > 0 && o->train.adam.lr < 10)) return bad(cmd, "--lr wants a positive rate", arg);
    return 1;
  case OPT_WEIGHT_DECAY:
    o->train.adam.weight_decay = strtod(arg, &end);
    if (*end || !(o->train.adam.weight_decay >= 0)) return bad(cmd, "--weight-decay wants a non-negative value", arg);
    return 1;
  case OPT_SEED:
    o->train.seed = strtoul(arg, &end, 10);
    if (*end || !*arg) return bad(cmd, "--seed wants a non-negative integer", arg);
    return 1;
  case OPT_VAL_FRACTION:
    o->val_fraction = strtod(arg, &end);
    if (*end || !(o->val_fraction >= 0 && o->val_fraction < 0.9)) return bad(cmd, "--val-fraction wants 0 <= F < 0.9", arg);
    return 1;
  case OPT_PATIENCE:
    o->train.patience = (int)strtol(arg, &end, 10);
    if (*end || o->train.patience < 0) return bad(cmd, "--patience wants a count (0: never stop early)", arg);
    return 1;
  case OPT_THREADS:
    *threads = (int)strtol(arg, &end, 10);
    if (*end || *threads < 1 || *threads > 64) return bad(cmd, "--threads wants 1 to 64", arg);
    return 1;
  case OPT_MEMBERS:
    o->members = (int)strtol(arg, &end, 10);
    if (*end || o->members < 1 || o->members > 64) return bad(cmd, "--members wants 1 to 64", arg);
    return 1;
  case OPT_MIXUP:
    o->train.mixup = strtof(arg, &end);
    if (*end || !(o->train.mixup >= 0 && o->train.mixup <= 10)) return bad(cmd, "--mixup wants an alpha >= 0", arg);
    return 1;
  case OPT_SMOOTHING:
    o->train.label_smoothing = strtof(arg, &end);
    if (*end || !(o->train.label_smoothing >= 0 && o->train.label_smoothing < 1)) return bad(cmd, "--label-smoothing wants 0 <= E < 1", arg);
    return 1;
  case OPT_SCHEDULE:
    if (strcmp(arg, "cosine") == 0) o->train.cosine = 1;
    else if (strcmp(arg, "constant") == 0) o->train.cosine = 0;
    else return bad(cmd, "--schedule wants constant or cosine", arg);
    return 1;
  case OPT_QUIET: *verbose = 0; return 1;
  case OPT_VERBOSE: *verbose = 1; return 1;
  }
  return 0;
}

int train_options_parse(const char *cmd, int argc, char **argv, ann_opts_t *o, int *threads, int *verbose) {
  const char *arch = "default";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) arch = argv[i + 1];
    else if (strncmp(argv[i], "--arch=", 7) == 0) arch = argv[i] + 7;
  }
  if (ann_preset(arch, o)) return bad(cmd, "--arch wants default or seed", arch);
  *threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  *verbose = 2;
  return 0;
}
