/* Data-parallel training across processes, on Open MPI. Under a launcher
 * (mpirun, or srun --mpi=pmix) every process holds the whole model, takes its
 * share of each global batch, and the gradients are summed with
 * MPI_Allreduce, so every rank takes the same Adam step. Without a launcher
 * the process is rank 0 of 1 and nothing here talks to MPI. */
#ifndef GENRE_DIST_H
#define GENRE_DIST_H

#include <stddef.h>

#include "real.h"

/* Joins the launcher's processes (MPI_Init) when there is one; ranks other
 * than 0 then send stdout and stderr to /dev/null: rank 0 prints and writes.
 * Called by the commands that train. 0, or -1 with the reason printed (srun
 * started several tasks but MPI sees one: no PMI plugin was asked for). */
int dist_start(const char *cmd);

/* At exit from main: MPI_Finalize after success; after a failure,
 * MPI_Abort, so ranks waiting in a collective end too. */
void dist_finish(int rc);

int dist_rank(void);
int dist_size(void);
static inline int dist_leader(void) { return dist_rank() == 0; }

/* In-place sums over all ranks (MPI_Allreduce); nothing with one rank. */
void dist_sum(double *v, size_t n);
void dist_sum_real(real *v, size_t n);

/* 1 when every rank holds the same bytes at p (a hash compared): the check
 * that data-parallel training kept the ranks' parameters identical. */
int dist_same(const void *p, size_t bytes);

/* Rank r's share [lo, hi) of n items: contiguous, in rank order, sizes
 * differing by at most one. */
void dist_share(size_t n, size_t *lo, size_t *hi);

#endif
