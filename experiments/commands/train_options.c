#include "train_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augment.h"
#include "cli.h"

static int bad(const char *cmd, const char *what, const char *arg) {
  fprintf(stderr, "genre %s: %s, not '%s'\n", cmd, what, arg);
  return -1;
}

int train_option(const char *cmd, int code, const char *arg, train_opts_t *t, double *val_fraction, int *threads,
                 int *verbose) {
  char *end;
  switch (code) {
  case OPT_ARCH: return 1; /* applied first, by the *_options_parse functions */
  case OPT_EPOCHS:
    t->epochs = (int)strtol(arg, &end, 10);
    if (*end || t->epochs < 1 || t->epochs > 100000) return bad(cmd, "--epochs wants a positive count", arg);
    return 1;
  case OPT_BATCH:
    t->batch = (int)strtol(arg, &end, 10);
    if (*end || t->batch < 1 || t->batch > 65536) return bad(cmd, "--batch wants a positive size", arg);
    return 1;
  case OPT_LR:
    t->adam.lr = strtod(arg, &end);
    if (*end || !(t->adam.lr > 0 && t->adam.lr < 10)) return bad(cmd, "--lr wants a positive rate", arg);
    return 1;
  case OPT_WEIGHT_DECAY:
    t->adam.weight_decay = strtod(arg, &end);
    if (*end || !(t->adam.weight_decay >= 0)) return bad(cmd, "--weight-decay wants a non-negative value", arg);
    return 1;
  case OPT_SEED:
    t->seed = strtoul(arg, &end, 10);
    if (*end || !*arg) return bad(cmd, "--seed wants a non-negative integer", arg);
    return 1;
  case OPT_VAL_FRACTION:
    *val_fraction = strtod(arg, &end);
    if (*end || !(*val_fraction >= 0 && *val_fraction < 0.9)) return bad(cmd, "--val-fraction wants 0 <= F < 0.9", arg);
    return 1;
  case OPT_PATIENCE:
    t->patience = (int)strtol(arg, &end, 10);
    if (*end || t->patience < 0) return bad(cmd, "--patience wants a count (0: never stop early)", arg);
    return 1;
  case OPT_THREADS:
    *threads = (int)strtol(arg, &end, 10);
    if (*end || *threads < 1 || *threads > 64) return bad(cmd, "--threads wants 1 to 64", arg);
    return 1;
  case OPT_MIXUP:
    t->mixup = strtof(arg, &end);
    if (*end || !(t->mixup >= 0 && t->mixup <= 10)) return bad(cmd, "--mixup wants an alpha >= 0", arg);
    return 1;
  case OPT_SMOOTHING:
    t->label_smoothing = strtof(arg, &end);
    if (*end || !(t->label_smoothing >= 0 && t->label_smoothing < 1)) return bad(cmd, "--label-smoothing wants 0 <= E < 1", arg);
    return 1;
  case OPT_SCHEDULE:
    if (strcmp(arg, "cosine") == 0) t->cosine = 1;
    else if (strcmp(arg, "constant") == 0) t->cosine = 0;
    else return bad(cmd, "--schedule wants constant or cosine", arg);
    return 1;
  case OPT_QUIET: *verbose = 0; return 1;
  case OPT_VERBOSE: *verbose = 1; return 1;
  }
  return 0;
}

int ann_option(const char *cmd, int code, const char *arg, ann_opts_t *o, int *threads, int *verbose) {
  char *end;
  switch (code) {
  case OPT_HIDDEN: {
    o->n_hidden = 0;
    const char *p = arg;
    while (*p) {
      long v = strtol(p, &end, 10);
      if (end == p || v < 1 || v > 65536 || o->n_hidden == 16 || (*end && *end != ','))
        return bad(cmd, "--hidden wants sizes like 512,256,128", arg);
      o->hidden[o->n_hidden++] = (int)v;
      p = *end == ',' ? end + 1 : end;
    }
    return 1;
  }
  case OPT_DROPOUT:
    o->dropout = strtof(arg, &end);
    if (*end || !(o->dropout >= 0 && o->dropout < 1)) return bad(cmd, "--dropout wants 0 <= P < 1", arg);
    return 1;
  case OPT_BATCHNORM: o->batchnorm = 1; return 1;
  case OPT_MEMBERS:
    o->members = (int)strtol(arg, &end, 10);
    if (*end || o->members < 1 || o->members > 64) return bad(cmd, "--members wants 1 to 64", arg);
    return 1;
  }
  return train_option(cmd, code, arg, &o->train, &o->val_fraction, threads, verbose);
}

int cnn_option(const char *cmd, int code, const char *arg, cnn_opts_t *o, int *threads, int *verbose) {
  char err[300];
  switch (code) {
  case OPT_AUGMENT:
    if (augment_parse(arg, &o->augment, err, sizeof err)) return bad(cmd, err, arg);
    return 1;
  case OPT_INIT:
    snprintf(o->init, sizeof o->init, "%s", arg);
    return 1;
  case OPT_FREEZE:
    if (strcmp(arg, "conv") != 0) return bad(cmd, "--freeze wants conv", arg);
    o->freeze_conv = 1;
    return 1;
  case OPT_READ_AHEAD: return cli_int(cmd, "--read-ahead", arg, 0, 256, &o->read_ahead) ? -1 : 1;
  }
  return train_option(cmd, code, arg, &o->train, &o->val_fraction, threads, verbose);
}

static const char *arch_of(int argc, char **argv) {
  const char *arch = "default";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) arch = argv[i + 1];
    else if (strncmp(argv[i], "--arch=", 7) == 0) arch = argv[i] + 7;
  }
  return arch;
}

int train_options_parse(const char *cmd, int argc, char **argv, ann_opts_t *o, int *threads, int *verbose) {
  const char *arch = arch_of(argc, argv);
  if (ann_preset(arch, o)) return bad(cmd, "--arch wants default or seed", arch);
  *threads = cli_cores();
  *verbose = 2;
  return 0;
}

int cnn_options_parse(const char *cmd, int argc, char **argv, cnn_opts_t *o, int *threads, int *verbose) {
  const char *arch = arch_of(argc, argv);
  if (cnn_preset(arch, o)) return bad(cmd, "--arch wants default, seed000 or seed002", arch);
  *threads = cli_cores();
  *verbose = 2;
  return 0;
}
