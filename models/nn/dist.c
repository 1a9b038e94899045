#include "dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank = 0, size = 1, started = 0;

/* A launcher's word that this process is one of several: mpirun (Open MPI),
 * srun --mpi=pmix (PMIx), srun --mpi=pmi2 / MPICH-style (PMI). */
static int launched(void) { return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE"); }

static long env_long(const char *name) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : 0;
}

int dist_start(const char *cmd) {
  if (started) return 0;
  long srun_tasks = env_long("SLURM_STEP_NUM_TASKS");
  if (!launched()) {
    if (srun_tasks > 1) {
      fprintf(stderr,
              "genre %s: srun started %ld tasks but no MPI plugin: each would train alone. Use srun --mpi=pmix "
              "(or mpirun), or one task\n",
              cmd, srun_tasks);
      return -1;
    }
    return 0;
  }
  int provided;
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "genre %s: MPI_Init failed\n", cmd);
    return -1;
  }
  started = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank > 0) { /* rank 0 speaks for the job */
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) return -1;
  }
  return 0;
}

void dist_finish(int rc) {
  if (!started) return;
  started = 0;
  if (rc && size > 1) MPI_Abort(MPI_COMM_WORLD, rc);
  MPI_Finalize();
}

int dist_rank(void) { return rank; }
int dist_size(void) { return size; }

/* MPI counts are ints: long vectors go in pieces */
static void sum_pieces(void *v, size_t n, MPI_Datatype type, size_t width) {
  for (size_t at = 0; at < n; at += INT_MAX / 2) {
    size_t count = n - at < INT_MAX / 2 ? n - at : INT_MAX / 2;
    MPI_Allreduce(MPI_IN_PLACE, (char *)v + at * width, (int)count, type, MPI_SUM, MPI_COMM_WORLD);
  }
}

void dist_sum(double *v, size_t n) {
  if (size > 1) sum_pieces(v, n, MPI_DOUBLE, sizeof *v);
}

void dist_sum_real(real *v, size_t n) {
  if (size > 1) sum_pieces(v, n, sizeof(real) == sizeof(double) ? MPI_DOUBLE : MPI_FLOAT, sizeof *v);
}

void dist_share(size_t n, size_t *lo, size_t *hi) {
  *lo = n * (size_t)rank / (size_t)size;
  *hi = n * (size_t)(rank + 1) / (size_t)size;
}

int dist_same(const void *p, size_t bytes) {
  if (size == 1) return 1;
  uint64_t h = 1469598103934665603ull, lo, hi; /* FNV-1a */
  for (size_t i = 0; i < bytes; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
  MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return lo == hi;
}
