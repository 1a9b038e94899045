/* Where a network's input rows come from: an array in memory, or a store on
 * disk read a batch at a time (the log-mel spectrograms). Training and
 * evaluation see both through the same few fields, so a model trained from a
 * streamed corpus is the one trained from memory, byte for byte. */
#ifndef GENRE_ROWS_H
#define GENRE_ROWS_H

#include <stddef.h>

#include "real.h"

/* rows[0..n) into x[n][in]. 0, or -1 with the reason (the file and segment). */
typedef int (*rows_read_fn)(const void *ctx, const size_t *rows, int n, real *x, char *err, size_t errlen);

typedef struct row_source {
  size_t in;          /* values per row */
  const int *y;       /* [rows]: labels */
  const real *x;      /* in memory: [rows][in]; NULL when read through `read` */
  rows_read_fn read;  /* from disk (thread-safe) */
  const void *ctx;
  int read_ahead;     /* batches a reader thread keeps ready for a streamed source; 0: read on demand */
} row_source_t;

static inline row_source_t rows_in_memory(const real *x, const int *y, size_t in) {
  return (row_source_t){.in = in, .y = y, .x = x};
}

#endif
