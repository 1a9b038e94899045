/* Training: mini-batches drawn in a fresh order every epoch, Adam, early
 * stopping on the validation loss (the best parameters are restored). Every
 * random choice comes from the seed. */
#ifndef GENRE_TRAIN_H
#define GENRE_TRAIN_H

#include <stddef.h>

#include "net.h"
#include "rows.h"

/* Called on every batch x[B][in] read from the data, before the forward
 * pass: the CNN standardises there and, when `training`, augments. r is a
 * gsl_rng (NULL outside training). skipped (NULL: none) flags the rows another
 * process trains on, left unread: their random draws are taken all the same,
 * so the stream does not depend on the number of processes. */
typedef void (*prepare_fn)(void *ctx, real *x, int B, int training, void *r, const unsigned char *skipped);

typedef struct train_opts {
  int epochs, batch;
  int patience;      /* epochs without a better validation loss before stopping; 0: never */
  adam_opts_t adam;
  int cosine;        /* learning rate follows a half cosine from adam.lr to 0 over the epochs */
  int cycles;        /* with cosine: restarts, one snapshot of the parameters at the end of
                        each cycle (a snapshot ensemble); 0 or 1: one cycle */
  real *snapshots;   /* [cycles][n_params + n_state], filled when cycles > 1 */
  float label_smoothing; /* targets (1 - e) one-hot + e / K */
  float mixup;       /* alpha of mixup (Zhang et al. 2018): batches of lambda x_i + (1 - lambda) x_j
                        with targets mixed alike, lambda ~ Beta(alpha, alpha); 0: off */
  unsigned long seed;
  int verbose;       /* 1: one line per epoch on stderr; 2: progress line on a TTY */
  const char *tag;   /* prefix of those lines */
  prepare_fn prepare;
  void *prepare_ctx;
  const size_t *monitor; /* rows evaluated after every epoch for the log only (a test fold's
                            learning curve): never used to stop or to pick parameters */
  size_t n_monitor;
  int calibrate_off;     /* --no-calibrate: the commands fit no temperature (train.c ignores it) */
  int score_training;    /* a classical kind scores its training rows too (genre train's last line; not in folds) */
  char *err;             /* receives the reason of a read error (optional) */
  size_t errlen;
} train_opts_t;

typedef struct epoch_log {
  double train_loss, train_acc, val_loss, val_acc, test_loss, test_acc, seconds;
} epoch_log_t;

/* Trains n on rows train[0..n_train) of src, validating on rows
 * val[0..n_val) (n_val 0: no validation, no early stopping). log[epochs]
 * receives one entry per epoch run. Returns the number of epochs run, -1
 * when out of memory, -2 when the data could not be read (o->err says why).
 * best_epoch (if not NULL): the epoch whose parameters were kept (1-based). */
int net_train(net_t *n, const row_source_t *src, const size_t *train, size_t n_train, const size_t *val,
              size_t n_val, const train_opts_t *o, epoch_log_t *log, int *best_epoch);

/* Mean cross-entropy and accuracy of n (inference mode) on rows idx of src
 * (batches passed through prepare, if any); probs (optional) receives
 * [n_idx][K]. 0, or -1 with the reason. */
int net_evaluate(net_t *n, const row_source_t *src, const size_t *idx, size_t n_idx, prepare_fn prepare, void *ctx,
                 double *loss, double *acc, real *probs, char *err, size_t errlen);

#endif
