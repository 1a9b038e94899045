/* extract: audio files to the GTZAN-schema feature tables and log-mel
 * spectrograms, sharded, merged and resumed. */
#ifndef GENRE_EXTRACT_H
#define GENRE_EXTRACT_H

#include <stddef.h>

#include "schema.h" /* SEGMENT_SAMPLES, SEGMENT_FRAMES */
#include "shard.h"

typedef struct extract_args {
  const char *outdir;
  long jobs;
  int resume, show_progress, merge;
  int mel_elem;  /* NPY_F32 (default) or NPY_F16 (--mel-dtype f16) */
  shard_t shard; /* n 0: not sharded */
  const char *labels; /* --labels CSV: file -> label (NULL: each file's folder name) */
  char **inputs; /* argv's INPUTs */
  int n_inputs;
} extract_args_t;

/* Runs extract (experiments/commands/extract_cmd.c parses its command line).
 * Exit status: 0 all inputs processed, 2 some failed (outputs written),
 * 1 nothing usable or an output error, 128 + signal when interrupted. */
int extract_run(const extract_args_t *a);

#endif
