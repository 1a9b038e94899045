/* `genre extract`: audio files to the GTZAN-schema feature tables and log-mel
 * spectrograms. */
#ifndef GENRE_EXTRACT_H
#define GENRE_EXTRACT_H

#include <stddef.h>

#include "schema.h" /* SEGMENT_SAMPLES, SEGMENT_FRAMES */
#include "shard.h"

typedef struct extract_args {
  const char *outdir;
  long jobs;
  int resume, show_progress, help, merge;
  int mel_elem;  /* NPY_F32 (default) or NPY_F16 (--mel-dtype f16) */
  shard_t shard; /* n 0: not sharded */
  char **inputs; /* argv's INPUTs */
  int n_inputs;
} extract_args_t;

/* Parses extract's command line (getopt state reset first). 0, or -1 after
 * printing the problem. */
int extract_parse_args(int argc, char **argv, extract_args_t *a);

/* Exit status: 0 all inputs processed, 2 some failed (outputs written),
 * 1 nothing usable or a usage / output error, 128 + signal when interrupted. */
int extract_main(int argc, char **argv);

#endif
