/* make bench, streamed spectrograms: one epoch of the default CNN over n rows
 * of an extract layout, read from disk through the loader (reader thread
 * READ_AHEAD batches ahead) or from memory (every row read first, as training
 * did before streaming), and whether the two give the same parameters.
 * Under mpirun every rank reads its share. Prints figures; asserts nothing.
 *
 *   bench_loader MELDIR ROWS memory|stream [READ_AHEAD]
 *
 * ROWS rows drawn at random (seed 1) from the whole corpus: on a corpus larger
 * than memory, random reads all over it. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cnn.h"
#include "dist.h"
#include "progress.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: bench_loader MELDIR ROWS memory|stream [READ_AHEAD]\n"), 2;
  if (dist_start("bench_loader")) return 1;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  char err[2000];
  mel_dataset_t d;
  double t0 = now_seconds();
  if (mel_dataset_load(argv[1], NULL, 0, &d, err, sizeof err)) return fprintf(stderr, "%s\n", err), dist_finish(1), 1;
  double t_index = now_seconds() - t0;
  size_t n = strtoul(argv[2], NULL, 10), *all = malloc(d.n_rows * sizeof *all), *rows = malloc(n * sizeof *rows);
  for (size_t i = 0; i < d.n_rows; i++) all[i] = i;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1);
  if (n > d.n_rows) n = d.n_rows;
  gsl_ran_choose(r, rows, n, all, d.n_rows, sizeof *all);
  int memory = strcmp(argv[3], "memory") == 0;
  t0 = now_seconds();
  if (memory && mel_dataset_hold(&d, err, sizeof err)) return fprintf(stderr, "%s\n", err), dist_finish(1), 1;
  double t_hold = now_seconds() - t0;
  cnn_opts_t o;
  cnn_preset("default", &o);
  o.threads = 1, o.train.epochs = 1, o.train.verbose = 0;
  if (argc > 4) o.read_ahead = atoi(argv[4]);
  model_t m;
  epoch_log_t log[1];
  t0 = now_seconds();
  if (cnn_fit(&d, rows, n, NULL, 0, &o, &m, log, NULL, err, sizeof err)) return fprintf(stderr, "%s\n", err), dist_finish(1), 1;
  double total = now_seconds() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%-6s %s: %zu of %zu rows, %d rank%s: epoch %.1f s, %.0f spectrograms/s; band statistics %.1f s; index %.2f s%s; "
         "peak RSS %.0f MB; parameters %016llx\n",
         argv[3], memory ? "" : (o.read_ahead ? "(reader thread)" : "(no reader thread)"), n, d.n_rows, dist_size(),
         dist_size() > 1 ? "s" : "", log[0].seconds, n / log[0].seconds, total - log[0].seconds, t_index,
         memory ? "" : "", ru.ru_maxrss / 1024.0, (unsigned long long)model_checksum(m.net->params, m.net->n_params * sizeof(real)));
  if (memory) printf("       (reading the rows into memory first took %.1f s)\n", t_hold);
  model_free(&m);
  mel_dataset_free(&d);
  free(all), free(rows);
  gsl_rng_free(r);
  dist_finish(0);
  return 0;
}
