/* Extraction spread over processes or machines: shard K of N takes its share
 * of the inputs (a deterministic split of the input list, balanced by file
 * size) and leaves each file's part in OUTDIR/parts; `extract --merge`
 * assembles the tables from the parts alone. */
#ifndef GENRE_SHARD_H
#define GENRE_SHARD_H

#include <stddef.h>

#include "inputs.h"

typedef struct shard {
  int k, n; /* 1 <= k <= n; n 0: not sharded */
} shard_t;

/* "K/N" (1 <= K <= N), or "auto": from the launcher's environment — Open MPI
 * (OMPI_COMM_WORLD_RANK, _SIZE), PMI (PMI_RANK, PMI_SIZE), Slurm srun
 * (SLURM_PROCID, SLURM_NTASKS) or a Slurm job array (SLURM_ARRAY_TASK_ID with
 * SLURM_ARRAY_TASK_MIN and _MAX, or _COUNT). 0, or -1 with the reason. */
int shard_parse(const char *arg, shard_t *s, char *err, size_t errlen);

/* mine[i] = 1 for the inputs shard s processes: the inputs, largest file
 * first (ties: list order), each to the shard with the fewest bytes so far
 * (ties: the lowest). The same list gives every shard the same split. */
int shard_select(const input_list_t *inputs, const shard_t *s, unsigned char *mine);

#endif
