/* A persistent pool of threads for data-parallel layer work: a call splits
 * [0, n) into one contiguous range per worker (the caller is worker 0), so a
 * given thread count always splits the same way and results repeat exactly. */
#ifndef GENRE_WORKERS_H
#define GENRE_WORKERS_H

typedef struct workers workers_t;

typedef void (*work_fn)(void *ctx, int worker, int begin, int end);

workers_t *workers_new(int threads); /* NULL when threads < 2 or out of resources */
void workers_free(workers_t *w);
int workers_count(const workers_t *w); /* 1 for NULL */

/* Runs fn over [0, n) split across the workers; returns when all are done.
 * With w NULL, runs fn(ctx, 0, 0, n) in the caller. */
void workers_run(workers_t *w, work_fn fn, void *ctx, int n);

#endif
