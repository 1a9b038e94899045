#include "train.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist.h"
#include "loader.h"
#include "progress.h"

/* The rows idx through l: loss, accuracy and probabilities as net_evaluate. 0, or -1 (read error). */
static int evaluate_rows(net_t *n, loader_t *l, const int *y, const size_t *idx, size_t n_idx, prepare_fn prepare,
                         void *ctx, double *loss, double *acc, real *probs) {
  int K = n->n_classes, b;
  double total = 0;
  size_t correct = 0, start = 0;
  real *batch, *p = n->probs; /* net_predict's softmax reads the logits, not these */
  loader_start(l, idx, n_idx, n->max_batch, LOADER_ALL);
  while ((batch = loader_next(l, &b, NULL))) {
    if (prepare) prepare(ctx, batch, b, 0, NULL, NULL);
    net_predict(n, batch, b, p);
    for (int i = 0; i < b; i++) {
      const real *pi = p + (size_t)i * K;
      int t = y[idx[start + i]], best = 0;
      for (int k = 1; k < K; k++)
        if (pi[k] > pi[best]) best = k;
      correct += best == t;
      total -= log(fmax((double)pi[t], 1e-30));
      if (probs) memcpy(probs + (start + i) * K, pi, K * sizeof(real));
    }
    start += (size_t)b;
  }
  if (loss) *loss = n_idx ? total / n_idx : 0;
  if (acc) *acc = n_idx ? (double)correct / n_idx : 0;
  return start == n_idx ? 0 : -1;
}

int net_evaluate(net_t *n, const row_source_t *src, const size_t *idx, size_t n_idx, prepare_fn prepare, void *ctx,
                 double *loss, double *acc, real *probs, char *err, size_t errlen) {
  loader_t *l = loader_new(src, n->max_batch);
  if (!l) return snprintf(err, errlen, "out of memory"), -1;
  int rc = evaluate_rows(n, l, src->y, idx, n_idx, prepare, ctx, loss, acc, probs);
  if (rc) snprintf(err, errlen, "%s", loader_error(l));
  loader_free(l);
  return rc;
}

/* net_evaluate's figures with the rows shared among processes. 0, or -1 (read error). */
static int evaluate_shared(net_t *n, loader_t *l, const int *y, const size_t *idx, size_t n_idx, const train_opts_t *o,
                           double *loss, double *acc) {
  if (dist_size() == 1) return evaluate_rows(n, l, y, idx, n_idx, o->prepare, o->prepare_ctx, loss, acc, NULL);
  size_t lo, hi;
  dist_share(n_idx, &lo, &hi);
  double l_ = 0, a = 0, sums[2];
  int rc = evaluate_rows(n, l, y, idx + lo, hi - lo, o->prepare, o->prepare_ctx, &l_, &a, NULL);
  sums[0] = l_ * (double)(hi - lo), sums[1] = a * (double)(hi - lo);
  dist_sum(sums, 2);
  *loss = sums[0] / (double)n_idx, *acc = sums[1] / (double)n_idx;
  return rc;
}

/* After a batch's backward pass in data-parallel training: the gradients of
 * every process summed (each already divided by the global batch) */
static void share_gradients(net_t *n) {
  if (dist_size() == 1 || n->frozen >= n->n_layers) return;
  size_t from = (size_t)(n->layer[n->frozen].weight - n->params);
  dist_sum_real(n->grads + from, n->n_params - from);
}

/* One training batch: rows read, prepared, mixed; its targets */
typedef struct batch {
  real *x, *mixed, *soft; /* [B][in] (the loader's slot), [B][in], [B][K] (mixup's inputs and targets) */
  int *y;                 /* [B] */
  double lam;             /* mixup's weight of each sample against its partner (1: no mixup) */
} batch_t;

/* The loader's next batch of order (*b rows) prepared (standardised,
 * augmented) and mixed; returns the inputs to train on, NULL after a read
 * error. Every process draws the same random numbers: a row another process
 * trains on is skipped, its draws taken all the same. */
static const real *gather_batch(batch_t *bt, loader_t *l, const int *y, size_t in, int K, const size_t *order,
                                int *bp, const train_opts_t *o, gsl_rng *r) {
  const unsigned char *skipped;
  int b;
  if (!(bt->x = loader_next(l, &b, &skipped))) return NULL;
  *bp = b;
  for (int i = 0; i < b; i++) bt->y[i] = y[order[i]];
  if (o->prepare) o->prepare(o->prepare_ctx, bt->x, b, 1, r, skipped);
  bt->lam = 1.0;
  if (o->mixup <= 0) return bt->x;
  /* each sample mixed with a partner: the batch read in reverse */
  double lam = bt->lam = gsl_ran_beta(r, o->mixup, o->mixup);
  real e = (real)o->label_smoothing;
  const int *yb = bt->y;
  size_t lo, hi;
  dist_share((size_t)b, &lo, &hi);
  for (int i = 0; i < b; i++) {
    int j = b - 1 - i;
    if ((size_t)i >= lo && (size_t)i < hi) /* this process's rows (all of them in one process) */
      for (size_t f = 0; f < in; f++)
        bt->mixed[(size_t)i * in + f] = (real)(lam * bt->x[(size_t)i * in + f] + (1 - lam) * bt->x[(size_t)j * in + f]);
    for (int k = 0; k < K; k++)
      bt->soft[(size_t)i * K + k] =
          (real)(lam * ((k == yb[i]) * (1 - e) + e / K) + (1 - lam) * ((k == yb[j]) * (1 - e) + e / K));
  }
  return bt->mixed;
}

/* Forward and backward passes over this process's share of the batch xb[b]
 * (all of it in one process), the gradients summed over processes. Returns
 * the share's summed loss; *correct counts its right answers. */
static double train_step(net_t *n, const real *xb, const batch_t *bt, int b, size_t in, int mixup, size_t *correct) {
  int K = n->n_classes;
  size_t lo, hi;
  dist_share((size_t)b, &lo, &hi);
  if (dist_size() > 1) n->batch_total = b, n->batch_offset = (int)lo;
  const real *xs = xb + lo * in;
  int bs = (int)(hi - lo);
  net_forward(n, xs, bs, 1);
  /* the loss comes back divided by the global batch b */
  double loss = (mixup ? net_backward_soft(n, xs, bt->soft + lo * K, bs) : net_backward(n, xs, bt->y + lo, bs)) * b;
  for (int i = 0; i < bs; i++) { /* training accuracy from the same forward pass */
    const real *pi = n->probs + (size_t)i * K;
    int arg = 0, g = (int)lo + i;
    for (int k = 1; k < K; k++)
      if (pi[k] > pi[arg]) arg = k;
    /* a mixed sample counts as its dominant partner's label */
    *correct += arg == (bt->lam >= 0.5 ? bt->y[g] : bt->y[b - 1 - g]);
  }
  share_gradients(n);
  return loss;
}

static void batch_free(batch_t *bt) { free(bt->mixed), free(bt->soft), free(bt->y); }

/* What one run of net_train holds */
typedef struct trainer {
  net_t *n;
  const row_source_t *src;
  const train_opts_t *o;
  loader_t *l;
  size_t *order, n_train;
  int B;
  batch_t bt;
  gsl_rng *r;
  adam_opts_t adam;
} trainer_t;

/* One pass over the shuffled training rows: the summed loss and right answers
 * over every process's samples. 0, or -1 (read error). */
static int train_epoch(trainer_t *t, double *loss_sum, size_t *correct) {
  const train_opts_t *o = t->o;
  net_t *n = t->n;
  int b, K = n->n_classes;
  progress_t prog;
  progress_start(&prog, o->tag ? o->tag : "train", "batches", (t->n_train + t->B - 1) / t->B, o->verbose >= 2);
  loader_start(t->l, t->order, t->n_train, t->B, o->mixup > 0 ? LOADER_SHARE_MIRROR : LOADER_SHARE);
  size_t start = 0;
  *loss_sum = 0, *correct = 0;
  for (const real *xb; (xb = gather_batch(&t->bt, t->l, t->src->y, t->src->in, K, t->order + start, &b, o, t->r));) {
    *loss_sum += train_step(n, xb, &t->bt, b, t->src->in, o->mixup > 0, correct);
    net_adam_step(n, &t->adam);
    start += (size_t)b;
    progress_update(&prog, start / t->B + (start % t->B != 0));
  }
  progress_finish(&prog);
  n->batch_total = n->batch_offset = 0;
  if (dist_size() > 1) { /* the epoch's figures over every process's samples */
    double sums[2] = {*loss_sum, (double)*correct};
    dist_sum(sums, 2);
    *loss_sum = sums[0], *correct = (size_t)sums[1];
  }
  return start == t->n_train ? 0 : -1;
}

/* The end of a cycle of a snapshot ensemble: the parameters kept */
static void keep_snapshot(const trainer_t *t, int epoch) {
  const train_opts_t *o = t->o;
  int cycles = o->cycles > 1 ? o->cycles : 1, per_cycle = (o->epochs + cycles - 1) / cycles;
  if (cycles < 2 || !o->snapshots || ((epoch + 1) % per_cycle != 0 && epoch + 1 != o->epochs)) return;
  real *snap = o->snapshots + (size_t)(epoch / per_cycle) * (t->n->n_params + t->n->n_state);
  memcpy(snap, t->n->params, t->n->n_params * sizeof(real));
  memcpy(snap + t->n->n_params, t->n->state, t->n->n_state * sizeof(real));
}

static void print_epoch(const train_opts_t *o, int epoch, const epoch_log_t *e, int validated) {
  if (o->verbose && validated)
    fprintf(stderr, "%s epoch %3d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.2fs\n", o->tag ? o->tag : "train",
            epoch + 1, e->train_loss, e->train_acc, e->val_loss, e->val_acc, e->seconds);
  else if (o->verbose) /* nothing held out: training figures only, said once */
    fprintf(stderr, "%s epoch %3d  loss %.4f  acc %.4f  %.2fs%s\n", o->tag ? o->tag : "train", epoch + 1,
            e->train_loss, e->train_acc, e->seconds, epoch == 0 ? "  (no validation rows: none held out)" : "");
}

/* Epoch `epoch` trained, its figures in e (validation and monitor rows
 * evaluated). 0, or -1 (read error). */
static int run_epoch(trainer_t *t, int epoch, const size_t *val, size_t n_val, epoch_log_t *e) {
  const train_opts_t *o = t->o;
  double t0 = now_seconds(), loss_sum;
  size_t correct;
  gsl_ran_shuffle(t->r, t->order, t->n_train, sizeof *t->order);
  int cycles = o->cycles > 1 ? o->cycles : 1, per_cycle = (o->epochs + cycles - 1) / cycles;
  if (o->cosine) t->adam.lr = o->adam.lr * 0.5 * (1.0 + cos(M_PI * (epoch % per_cycle) / per_cycle));
  if (train_epoch(t, &loss_sum, &correct)) return -1;
  keep_snapshot(t, epoch);
  e->train_loss = loss_sum / t->n_train;
  e->train_acc = (double)correct / t->n_train;
  e->val_loss = e->val_acc = e->test_loss = e->test_acc = NAN;
  if (n_val && evaluate_shared(t->n, t->l, t->src->y, val, n_val, o, &e->val_loss, &e->val_acc)) return -1;
  if (o->n_monitor &&
      evaluate_shared(t->n, t->l, t->src->y, o->monitor, o->n_monitor, o, &e->test_loss, &e->test_acc))
    return -1;
  e->seconds = now_seconds() - t0; /* monitoring included */
  print_epoch(o, epoch, e, n_val > 0);
  return 0;
}

static void trainer_free(trainer_t *t) {
  free(t->order), batch_free(&t->bt);
  loader_free(t->l);
  if (t->r) gsl_rng_free(t->r);
}

static int trainer_init(trainer_t *t, net_t *n, const row_source_t *src, const size_t *train, size_t n_train,
                        const train_opts_t *o) {
  int K = n->n_classes;
  size_t in = src->in;
  *t = (trainer_t){.n = n, .src = src, .o = o, .n_train = n_train, .adam = o->adam};
  t->B = o->batch < n->max_batch ? o->batch : n->max_batch;
  t->order = malloc(n_train * sizeof *t->order);
  t->bt = (batch_t){.mixed = malloc((size_t)t->B * in * sizeof(real)), .soft = malloc((size_t)t->B * K * sizeof(real)),
                    .y = malloc((size_t)t->B * sizeof(int))};
  t->l = loader_new(src, n->max_batch);
  t->r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!t->order || !t->bt.mixed || !t->bt.soft || !t->bt.y || !t->l || !t->r) return -1;
  gsl_rng_set(t->r, o->seed);
  memcpy(t->order, train, n_train * sizeof *t->order);
  return 0;
}

int net_train(net_t *n, const row_source_t *src, const size_t *train, size_t n_train, const size_t *val,
              size_t n_val, const train_opts_t *o, epoch_log_t *log, int *best_epoch) {
  trainer_t t;
  /* the best epoch's parameters, kept only when there is validation to judge by */
  real *best = n_val ? malloc((n->n_params + n->n_state) * sizeof(real)) : NULL;
  if (trainer_init(&t, n, src, train, n_train, o) || (n_val && !best)) {
    trainer_free(&t), free(best);
    return -1;
  }
  double best_loss = INFINITY;
  n->label_smoothing = (real)o->label_smoothing;
  int best_at = 0, since = 0, epoch, rc = 0;
  for (epoch = 0; epoch < o->epochs; epoch++) {
    if (genre_stop) { /* a library caller's Ctrl-C */
      rc = -1;
      break;
    }
    if ((rc = run_epoch(&t, epoch, val, n_val, &log[epoch]))) break;
    if (!n_val) continue;
    if (log[epoch].val_loss < best_loss) {
      best_loss = log[epoch].val_loss, best_at = epoch + 1, since = 0;
      memcpy(best, n->params, n->n_params * sizeof(real));
      memcpy(best + n->n_params, n->state, n->n_state * sizeof(real));
    } else if (o->patience > 0 && ++since >= o->patience) {
      epoch++;
      break;
    }
  }
  n->label_smoothing = 0;
  if (rc && o->err) snprintf(o->err, o->errlen, "%s", genre_stop ? "interrupted" : loader_error(t.l));
  if (!rc && !dist_same(n->params, n->n_params * sizeof(real))) /* MPI_Allreduce gave the ranks different sums */
    fprintf(stderr, "%s: warning: the processes' parameters differ after training\n", o->tag ? o->tag : "train");
  if (!rc && n_val && best_at > 0) { /* keep the best epoch's parameters */
    memcpy(n->params, best, n->n_params * sizeof(real));
    memcpy(n->state, best + n->n_params, n->n_state * sizeof(real));
  }
  if (best_epoch) *best_epoch = n_val ? best_at : epoch;
  trainer_free(&t), free(best);
  return rc ? -2 : epoch;
}
