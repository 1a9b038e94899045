#include "train.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dist.h"
#include "progress.h"

void net_evaluate(net_t *n, const real *x, const int *y, size_t in, const size_t *idx, size_t n_idx,
                  prepare_fn prepare, void *ctx, double *loss, double *acc, real *probs) {
  int K = n->n_classes, B = n->max_batch;
  real *batch = malloc((size_t)B * in * sizeof(real)), *p = malloc((size_t)B * K * sizeof(real));
  double total = 0;
  size_t correct = 0;
  for (size_t start = 0; batch && p && start < n_idx; start += (size_t)B) {
    int b = (int)(n_idx - start < (size_t)B ? n_idx - start : (size_t)B);
    for (int i = 0; i < b; i++) memcpy(batch + (size_t)i * in, x + idx[start + i] * in, in * sizeof(real));
    if (prepare) prepare(ctx, batch, b, 0, NULL);
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
  }
  free(batch), free(p);
  if (loss) *loss = n_idx ? total / n_idx : 0;
  if (acc) *acc = n_idx ? (double)correct / n_idx : 0;
}

/* net_evaluate's figures with the rows shared among processes */
static void evaluate_shared(net_t *n, const real *x, const int *y, size_t in, const size_t *idx, size_t n_idx,
                            const train_opts_t *o, double *loss, double *acc) {
  if (dist_size() == 1) {
    net_evaluate(n, x, y, in, idx, n_idx, o->prepare, o->prepare_ctx, loss, acc, NULL);
    return;
  }
  size_t lo, hi;
  dist_share(n_idx, &lo, &hi);
  double l = 0, a = 0, sums[2];
  net_evaluate(n, x, y, in, idx + lo, hi - lo, o->prepare, o->prepare_ctx, &l, &a, NULL);
  sums[0] = l * (double)(hi - lo), sums[1] = a * (double)(hi - lo);
  dist_sum(sums, 2);
  *loss = sums[0] / (double)n_idx, *acc = sums[1] / (double)n_idx;
}

/* After a batch's backward pass in data-parallel training: the gradients of
 * every process summed (each already divided by the global batch) */
static void share_gradients(net_t *n) {
  if (dist_size() == 1 || n->frozen >= n->n_layers) return;
  size_t from = (size_t)(n->layer[n->frozen].weight - n->params);
  dist_sum_real(n->grads + from, n->n_params - from);
}

/* One training batch: rows gathered, prepared, mixed; its targets */
typedef struct batch {
  real *x, *mixed, *soft; /* [B][in], [B][in], [B][K] (mixup's inputs and targets) */
  int *y;                 /* [B] */
  double lam;             /* mixup's weight of each sample against its partner (1: no mixup) */
} batch_t;

/* Rows order[0..b) of x / y into bt, prepared (standardised, augmented) and
 * mixed; returns the inputs to train on. Every process draws the same. */
static const real *gather_batch(batch_t *bt, const real *x, const int *y, size_t in, int K, const size_t *order,
                                int b, const train_opts_t *o, gsl_rng *r) {
  for (int i = 0; i < b; i++) {
    memcpy(bt->x + (size_t)i * in, x + order[i] * in, in * sizeof(real));
    bt->y[i] = y[order[i]];
  }
  if (o->prepare) o->prepare(o->prepare_ctx, bt->x, b, 1, r);
  bt->lam = 1.0;
  if (o->mixup <= 0) return bt->x;
  /* each sample mixed with a partner: the batch read in reverse */
  double lam = bt->lam = gsl_ran_beta(r, o->mixup, o->mixup);
  real e = (real)o->label_smoothing;
  const int *yb = bt->y;
  for (int i = 0; i < b; i++) {
    int j = b - 1 - i;
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

static void batch_free(batch_t *bt) { free(bt->x), free(bt->mixed), free(bt->soft), free(bt->y); }

int net_train(net_t *n, const real *x, const int *y, size_t in, const size_t *train, size_t n_train,
              const size_t *val, size_t n_val, const train_opts_t *o, epoch_log_t *log, int *best_epoch) {
  int B = o->batch < n->max_batch ? o->batch : n->max_batch, K = n->n_classes;
  size_t *order = malloc(n_train * sizeof *order);
  batch_t bt = {.x = malloc((size_t)B * in * sizeof(real)), .mixed = malloc((size_t)B * in * sizeof(real)),
                .soft = malloc((size_t)B * K * sizeof(real)), .y = malloc((size_t)B * sizeof(int))};
  /* the best epoch's parameters, kept only when there is validation to judge by */
  real *best = n_val ? malloc((n->n_params + n->n_state) * sizeof(real)) : NULL;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!order || !bt.x || !bt.mixed || !bt.soft || !bt.y || (n_val && !best) || !r) {
    free(order), free(best), batch_free(&bt);
    if (r) gsl_rng_free(r);
    return -1;
  }
  gsl_rng_set(r, o->seed);
  memcpy(order, train, n_train * sizeof *order);
  double best_loss = INFINITY;
  adam_opts_t adam = o->adam;
  n->label_smoothing = (real)o->label_smoothing;
  int best_at = 0, since = 0, epoch;
  progress_t prog;
  for (epoch = 0; epoch < o->epochs; epoch++) {
    double t0 = now_seconds(), loss_sum = 0;
    size_t correct = 0, seen = 0;
    gsl_ran_shuffle(r, order, n_train, sizeof *order);
    int cycles = o->cycles > 1 ? o->cycles : 1, per_cycle = (o->epochs + cycles - 1) / cycles;
    if (o->cosine) adam.lr = o->adam.lr * 0.5 * (1.0 + cos(M_PI * (epoch % per_cycle) / per_cycle));
    progress_start(&prog, o->tag ? o->tag : "train", "batches", (n_train + B - 1) / B, o->verbose >= 2);
    for (size_t start = 0; start < n_train; start += (size_t)B) {
      int b = (int)(n_train - start < (size_t)B ? n_train - start : (size_t)B);
      const real *xb = gather_batch(&bt, x, y, in, K, order + start, b, o, r);
      loss_sum += train_step(n, xb, &bt, b, in, o->mixup > 0, &correct);
      seen += (size_t)b;
      net_adam_step(n, &adam);
      progress_update(&prog, start / B + 1);
    }
    progress_finish(&prog);
    n->batch_total = n->batch_offset = 0;
    if (dist_size() > 1) { /* the epoch's figures over every process's samples */
      double sums[2] = {loss_sum, (double)correct};
      dist_sum(sums, 2);
      loss_sum = sums[0], correct = (size_t)sums[1];
    }
    if (cycles > 1 && o->snapshots && ((epoch + 1) % per_cycle == 0 || epoch + 1 == o->epochs)) {
      int c = epoch / per_cycle;
      real *snap = o->snapshots + (size_t)c * (n->n_params + n->n_state);
      memcpy(snap, n->params, n->n_params * sizeof(real));
      memcpy(snap + n->n_params, n->state, n->n_state * sizeof(real));
    }
    epoch_log_t *e = &log[epoch];
    e->train_loss = loss_sum / seen;
    e->train_acc = (double)correct / seen;
    e->val_loss = e->val_acc = e->test_loss = e->test_acc = NAN;
    if (n_val) evaluate_shared(n, x, y, in, val, n_val, o, &e->val_loss, &e->val_acc);
    if (o->n_monitor) evaluate_shared(n, x, y, in, o->monitor, o->n_monitor, o, &e->test_loss, &e->test_acc);
    e->seconds = now_seconds() - t0; /* monitoring included */
    if (o->verbose && n_val)
      fprintf(stderr, "%s epoch %3d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.2fs\n",
              o->tag ? o->tag : "train", epoch + 1, e->train_loss, e->train_acc, e->val_loss, e->val_acc,
              e->seconds);
    else if (o->verbose) /* nothing held out: training figures only */
      fprintf(stderr, "%s epoch %3d  loss %.4f  acc %.4f  (no validation rows)  %.2fs\n", o->tag ? o->tag : "train",
              epoch + 1, e->train_loss, e->train_acc, e->seconds);
    if (!n_val) continue;
    if (e->val_loss < best_loss) {
      best_loss = e->val_loss, best_at = epoch + 1, since = 0;
      memcpy(best, n->params, n->n_params * sizeof(real));
      memcpy(best + n->n_params, n->state, n->n_state * sizeof(real));
    } else if (o->patience > 0 && ++since >= o->patience) {
      epoch++;
      break;
    }
  }
  n->label_smoothing = 0;
  if (!dist_same(n->params, n->n_params * sizeof(real))) /* MPI_Allreduce gave the ranks different sums */
    fprintf(stderr, "%s: warning: the processes' parameters differ after training\n", o->tag ? o->tag : "train");
  if (n_val && best_at > 0) { /* keep the best epoch's parameters */
    memcpy(n->params, best, n->n_params * sizeof(real));
    memcpy(n->state, best + n->n_params, n->n_state * sizeof(real));
  }
  if (best_epoch) *best_epoch = n_val ? best_at : epoch;
  free(order), free(best), batch_free(&bt);
  gsl_rng_free(r);
  return epoch;
}
