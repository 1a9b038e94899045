/* Batches of rows for training and evaluation, read ahead by a thread.
 *
 * A job is the sequence of batches order[0..B), order[B..2B), ... of one pass
 * (an epoch in its shuffled order, or the rows to evaluate). From a streamed
 * source a reader thread fills up to `depth` batch slots ahead of the caller,
 * so disk reads overlap compute; memory holds depth x max_batch rows whatever
 * the corpus. From memory the rows are copied when asked, as before.
 *
 * In data-parallel training each process reads only its share of a batch
 * (dist_share), and with mixup also the partners of that share (the batch
 * read in reverse); the other rows of the slot are left unread and flagged in
 * `skipped`. */
#ifndef GENRE_LOADER_H
#define GENRE_LOADER_H

#include <stddef.h>

#include "rows.h"

typedef struct loader loader_t;

enum { LOADER_ALL, LOADER_SHARE, LOADER_SHARE_MIRROR };

/* NULL when out of memory (or threads) */
loader_t *loader_new(const row_source_t *src, int max_batch);
void loader_free(loader_t *l);

/* Starts a job (ending the one before): batches of B <= max_batch rows of
 * order[0..n) (borrowed until the job ends), `share` as above. */
void loader_start(loader_t *l, const size_t *order, size_t n, int B, int share);

/* The job's next batch: *b rows in x[*b][in] (valid until the next call),
 * *skipped[i] = 1 for a row not read (NULL when every row was). NULL at the
 * end of the job, or after a read error (loader_error then says which). */
real *loader_next(loader_t *l, int *b, const unsigned char **skipped);

/* the reason of the job's read error, "" when none */
const char *loader_error(const loader_t *l);

#endif
