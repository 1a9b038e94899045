/* `genre extract`: audio files to the GTZAN-schema feature tables and log-mel
 * spectrograms. */
#ifndef GENRE_EXTRACT_H
#define GENRE_EXTRACT_H

#include <stddef.h>

#define SEGMENT_SAMPLES 66150 /* 3.0 s at 22050 Hz */
#define SEGMENT_FRAMES 130    /* 1 + 66150 / 512 */

typedef struct extract_args {
  const char *outdir;
  long jobs;
  int resume, show_progress, help;
  char **inputs; /* argv's INPUTs */
  int n_inputs;
} extract_args_t;

/* Parses extract's command line (getopt state reset first). 0, or -1 after
 * printing the problem. */
int extract_parse_args(int argc, char **argv, extract_args_t *a);

/* Checks a part file's text (OUTDIR/parts/<stem>.csv) against the first-line
 * prefix `key` its source would write: then "<samples>,<segments>" ends that
 * line and one 30-s row and `segments` 3-s rows follow. 0 with the counts, or
 * -1 when the part is foreign, stale or damaged. */
int part_check(const char *text, size_t n, const char *key, size_t key_len, unsigned long long *samples,
               unsigned long long *segments);

/* Exit status: 0 all inputs processed, 2 some failed (outputs written),
 * 1 nothing usable or a usage / output error, 128 + signal when interrupted. */
int extract_main(int argc, char **argv);

#endif
