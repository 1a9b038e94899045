/* Command-line options shared by the commands that train the ANN. */
#ifndef GENRE_TRAIN_OPTIONS_H
#define GENRE_TRAIN_OPTIONS_H

#include <getopt.h>

#include "ann.h"
#include "cnn.h"

/* getopt_long codes of the shared options, and their table entries */
enum {
  OPT_ARCH = 1000, OPT_HIDDEN, OPT_DROPOUT, OPT_BATCHNORM, OPT_EPOCHS, OPT_BATCH, OPT_LR, OPT_WEIGHT_DECAY,
  OPT_SEED, OPT_VAL_FRACTION, OPT_PATIENCE, OPT_THREADS, OPT_QUIET, OPT_VERBOSE, OPT_MEMBERS, OPT_MIXUP,
  OPT_SMOOTHING, OPT_SCHEDULE, OPT_AUGMENT, OPT_INIT, OPT_FREEZE, OPT_READ_AHEAD
};
#define TRAIN_LONG_OPTIONS                                                                                     \
  {"arch", required_argument, 0, OPT_ARCH}, {"hidden", required_argument, 0, OPT_HIDDEN},                       \
      {"dropout", required_argument, 0, OPT_DROPOUT}, {"batchnorm", no_argument, 0, OPT_BATCHNORM},             \
      {"epochs", required_argument, 0, OPT_EPOCHS}, {"batch", required_argument, 0, OPT_BATCH},                 \
      {"lr", required_argument, 0, OPT_LR}, {"weight-decay", required_argument, 0, OPT_WEIGHT_DECAY},           \
      {"seed", required_argument, 0, OPT_SEED}, {"val-fraction", required_argument, 0, OPT_VAL_FRACTION},       \
      {"patience", required_argument, 0, OPT_PATIENCE}, {"threads", required_argument, 0, OPT_THREADS},         \
      {"quiet", no_argument, 0, OPT_QUIET}, {"verbose", no_argument, 0, OPT_VERBOSE},                           \
      {"members", required_argument, 0, OPT_MEMBERS}, {"mixup", required_argument, 0, OPT_MIXUP},               \
      {"label-smoothing", required_argument, 0, OPT_SMOOTHING}, {"schedule", required_argument, 0, OPT_SCHEDULE}, \
      {"augment", required_argument, 0, OPT_AUGMENT}, {"init", required_argument, 0, OPT_INIT},                 \
      {"freeze", required_argument, 0, OPT_FREEZE}, {"read-ahead", required_argument, 0, OPT_READ_AHEAD}

#define TRAIN_OPTIONS_HELP                                                                                   \
  "  --arch NAME          preset: default (ours), seed (the seeds' 512-256-128, dropout 0.2) or\n"  \
  "                       seed004 (seed 004's 1-D CNN over the feature vector)\n"             \
  "  --members N          ensemble of N networks (probabilities averaged)\n"                                  \
  "  --mixup A            mixup with Beta(A, A) mixing (0: off)\n"                                            \
  "  --label-smoothing E  smoothed targets (1-E) one-hot + E/K\n"                                             \
  "  --schedule S         learning rate: constant or cosine\n"                                                \
  "  --hidden LIST        hidden layer sizes, e.g. 512,256,128\n"                                             \
  "  --dropout P          dropout after each hidden layer\n"                                                   \
  "  --batchnorm          batch normalisation before each hidden ReLU\n"                                       \
  "  --epochs N           most epochs; --patience N: stop after N without a better validation loss\n"          \
  "  --batch N            mini-batch size (default 32)\n"                                                      \
  "  --lr X               Adam learning rate (default 1e-3; betas 0.9/0.999, eps 1e-7)\n"                      \
  "  --weight-decay X     L2 penalty on the weights\n"                                                         \
  "  --seed S             seeds every random choice (same seed, same numbers)\n"                               \
  "  --val-fraction F     tracks held out from training for early stopping (default 0.1)\n"                    \
  "  --threads T          threads (default: all cores)\n"                                                      \
  "  --quiet / --verbose  no per-epoch lines / one line per epoch\n"

#define CNN_OPTIONS_HELP                                                                                     \
  "  --arch NAME          default (ours: batch norm, global pooling, 99 k weights),\n"                         \
  "                       seed000 (5 x conv/pool/dropout, dense 64) or seed002 (2 convs, dense 128)\n"          \
  "  --augment LIST       loudness,noise,pitch,stretch,freqmask,timemask | all | none\n"                        \
  "                       (training only; default for --arch default: loudness,freqmask,timemask)\n"           \
  "  --init MODEL         start from MODEL's convolutional layers (its classes may differ)\n"                  \
  "  --freeze conv        train only the layers after the convolutional stack\n"                               \
  "  --read-ahead N       batches of spectrograms read from disk ahead of training (default 4; 0: none)\n"      \
  "  --epochs N, --batch N, --lr X, --schedule constant|cosine, --weight-decay X, --seed S,\n"                  \
  "  --val-fraction F, --patience N, --threads T, --quiet, --verbose   as for the ANN\n"

/* The preset named by --arch among argv (default when absent). Sets *threads
 * (all cores) and *verbose. 0, or -1 after printing the problem. */
int train_options_parse(const char *cmd, int argc, char **argv, ann_opts_t *o, int *threads, int *verbose);
int cnn_options_parse(const char *cmd, int argc, char **argv, cnn_opts_t *o, int *threads, int *verbose);

/* Handles one option common to both models (training schedule and the like);
 * 1 if it was one, -1 on a bad value, 0 if not ours. */
int train_option(const char *cmd, int code, const char *arg, train_opts_t *t, double *val_fraction, int *threads,
                 int *verbose);
/* ANN-only options (--hidden, --dropout, --batchnorm, --members), then common ones. */
int ann_option(const char *cmd, int code, const char *arg, ann_opts_t *o, int *threads, int *verbose);
/* CNN-only options (--augment, --init, --freeze), then common ones. */
int cnn_option(const char *cmd, int code, const char *arg, cnn_opts_t *o, int *threads, int *verbose);

#endif
