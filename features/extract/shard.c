#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int env_int(const char *name, long *v) {
  const char *s = getenv(name);
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  *v = strtol(s, &end, 10);
  return errno || *end ? -1 : 0;
}

/* rank (0-based) and size from one launcher's pair of variables */
static int from_env(const char *rank, const char *size, shard_t *s) {
  long r, n;
  if (env_int(rank, &r) || env_int(size, &n) || n < 1 || r < 0 || r >= n) return -1;
  s->k = (int)r + 1, s->n = (int)n;
  return 0;
}

static int from_array(shard_t *s) {
  long id, lo, hi, count;
  if (env_int("SLURM_ARRAY_TASK_ID", &id)) return -1;
  if (env_int("SLURM_ARRAY_TASK_MIN", &lo)) lo = 0;
  if (env_int("SLURM_ARRAY_TASK_MAX", &hi)) {
    if (env_int("SLURM_ARRAY_TASK_COUNT", &count)) return -1;
    hi = lo + count - 1;
  }
  if (id < lo || id > hi) return -1;
  s->k = (int)(id - lo + 1), s->n = (int)(hi - lo + 1);
  return 0;
}

int shard_parse(const char *arg, shard_t *s, char *err, size_t errlen) {
  s->k = s->n = 0;
  if (strcmp(arg, "auto") == 0) {
    if (!from_env("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", s) || !from_env("PMI_RANK", "PMI_SIZE", s) ||
        !from_array(s) || !from_env("SLURM_PROCID", "SLURM_NTASKS", s))
      return 0;
    return snprintf(err, errlen, "--shard auto: no launcher found (Open MPI, PMI, Slurm srun or a Slurm job array)"), -1;
  }
  int k, n, used = 0;
  if (sscanf(arg, "%d/%d%n", &k, &n, &used) != 2 || arg[used] || n < 1 || n > 100000 || k < 1 || k > n)
    return snprintf(err, errlen, "--shard wants K/N with 1 <= K <= N (or auto), not '%s'", arg), -1;
  s->k = k, s->n = n;
  return 0;
}

typedef struct sized {
  size_t index;
  long long bytes;
} sized_t;

static int by_size(const void *a, const void *b) {
  const sized_t *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

int shard_select(const input_list_t *inputs, const shard_t *s, unsigned char *mine) {
  size_t n = inputs->n;
  sized_t *order = malloc((n ? n : 1) * sizeof *order);
  long long *load = calloc((size_t)s->n, sizeof *load);
  if (!order || !load) return free(order), free(load), -1;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    order[i] = (sized_t){i, stat(inputs->items[i].path, &st) == 0 ? (long long)st.st_size : 0};
  }
  qsort(order, n, sizeof *order, by_size);
  for (size_t i = 0; i < n; i++) {
    int best = 0;
    for (int k = 1; k < s->n; k++)
      if (load[k] < load[best]) best = k;
    load[best] += order[i].bytes + 1; /* + 1: empty files are spread too */
    mine[order[i].index] = best == s->k - 1;
  }
  free(order), free(load);
  return 0;
}
