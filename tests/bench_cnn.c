/* make bench, CNN: images per second of training (forward, backward, Adam) and
 * of inference for each preset, on a fixed synthetic set of 512 random
 * spectrograms [1][128][130] in batches of 32, with 1 and 2 threads; and the
 * time of one epoch over that set. Prints figures; asserts nothing. */
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "cnn.h"
#include "progress.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

enum { N = 512, BATCH = 32, K = 10 };

int main(void) {
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  size_t in = 128 * 130;
  real *x = malloc(N * in * sizeof(real));
  int *y = malloc(N * sizeof(int));
  size_t *idx = malloc(N * sizeof(size_t));
  real *probs = malloc(N * K * sizeof(real));
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1);
  for (size_t i = 0; i < N * in; i++) x[i] = (real)(gsl_rng_uniform(r) * 2 - 1);
  for (int i = 0; i < N; i++) y[i] = (int)gsl_rng_uniform_int(r, K), idx[i] = (size_t)i;
  const char *arch[] = {"default", "seed000", "seed002"};
  printf("CNN, %d spectrograms of 128x130 in batches of %d (train: forward, backward, Adam):\n", N, BATCH);
  printf("%-8s %7s  %12s  %12s  %14s\n", "preset", "threads", "train img/s", "infer img/s", "epoch (512) s");
  for (int a = 0; a < 3; a++) {
    for (int threads = 1; threads <= 2; threads++) {
      layer_spec_t spec[NET_MAX_LAYERS];
      char err[300];
      int n = cnn_layers(arch[a], spec);
      net_t *net = net_new(spec, n, 1, 128, 130, K, BATCH, err, sizeof err);
      net_set_threads(net, threads);
      net_init(net, 1);
      train_opts_t o = {.epochs = 1, .batch = BATCH, .adam = ADAM_DEFAULTS, .seed = 1};
      epoch_log_t log[2];
      row_source_t src = rows_in_memory(x, y, in);
      net_train(net, &src, idx, 64, NULL, 0, &o, log, NULL); /* warm up */
      double t0 = now_seconds();
      net_train(net, &src, idx, N, NULL, 0, &o, log, NULL);
      double train = now_seconds() - t0;
      t0 = now_seconds();
      net_evaluate(net, &src, idx, N, NULL, NULL, NULL, NULL, probs, err, sizeof err);
      double infer = now_seconds() - t0;
      printf("%-8s %7d  %12.0f  %12.0f  %14.2f\n", arch[a], threads, N / train, N / infer, train);
      net_free(net);
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak RSS %.0f MB (the set itself: %.0f MB)\n", ru.ru_maxrss / 1024.0, N * in * sizeof(real) / 1e6);
  free(x), free(y), free(idx), free(probs);
  gsl_rng_free(r);
  return 0;
}
