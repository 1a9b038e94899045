/* Driven by test_mpi, once alone and once under mpirun -np 2: trains a small
 * network with every kind of layer data-parallel training shares (convolution,
 * batch norm over channels and over features, max pooling, dropout, mixup,
 * label smoothing) for one epoch of batches 4, 4 and 1 over 9 samples (so under
 * two ranks the last batch leaves rank 0 with nothing), and rank 0 writes what
 * the last step left: the summed gradients, the parameters, the batch norm
 * running statistics and the epoch's loss, as text. */
#include <stdio.h>
#include <stdlib.h>

#include "dist.h"
#include "train.h"

int main(int argc, char **argv) {
  if (argc != 3 || dist_start("mpi_step")) return fprintf(stderr, "usage: mpi_step OUT BATCH\n"), 1;
  const layer_spec_t spec[] = {CONV(4, 3, 1), BATCHNORM, RELU, MAXPOOL(2), DROPOUT(0.3f), FLATTEN,
                               DENSE(16), BATCHNORM, RELU, DROPOUT(0.2f), DENSE_CLASSES};
  int N = 9, K = 3, in = 8 * 8, batch = atoi(argv[2]);
  char err[300];
  net_t *n = net_new(spec, (int)(sizeof spec / sizeof *spec), 1, 8, 8, K, batch, err, sizeof err);
  real *x = malloc((size_t)N * in * sizeof(real));
  int y[9];
  size_t rows[9];
  if (!n || !x) return fprintf(stderr, "mpi_step: %s\n", n ? "out of memory" : err), 1;
  unsigned s = 12345;
  for (int i = 0; i < N * in; i++) s = s * 1103515245u + 12345u, x[i] = (real)((s >> 8) % 2001) / 1000.0f - 1.0f;
  for (int i = 0; i < N; i++) y[i] = i % K, rows[i] = (size_t)i;
  net_init(n, 7);
  train_opts_t o = {.epochs = 1, .batch = batch, .adam = ADAM_DEFAULTS, .seed = 3, .mixup = 0.4f, .label_smoothing = 0.1f};
  epoch_log_t log[1];
  row_source_t src = rows_in_memory(x, y, (size_t)in);
  int rc = net_train(n, &src, rows, (size_t)N, NULL, 0, &o, log, NULL) == 1 ? 0 : 1;
  FILE *f = dist_leader() ? fopen(argv[1], "w") : NULL;
  if (f) {
    fprintf(f, "loss %.9g\nacc %.9g\n", log[0].train_loss, log[0].train_acc);
    for (size_t i = 0; i < n->n_params; i++) fprintf(f, "g %.9g\n", (double)n->grads[i]);
    for (size_t i = 0; i < n->n_params; i++) fprintf(f, "p %.9g\n", (double)n->params[i]);
    for (size_t i = 0; i < n->n_state; i++) fprintf(f, "s %.9g\n", (double)n->state[i]);
    rc |= fclose(f) != 0;
  } else if (dist_leader()) {
    rc = 1;
  }
  net_free(n);
  free(x);
  dist_finish(rc);
  return rc;
}
