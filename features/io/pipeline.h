/* Inputs processed in parallel, results consumed in input order: worker
 * threads take items in turn (at most `window` ahead of the consumer, so
 * memory stays bounded), and the calling thread consumes item i only once
 * items 0..i are done. Shared by extract and predict. */
#ifndef GENRE_PIPELINE_H
#define GENRE_PIPELINE_H

#include <signal.h>
#include <stddef.h>

typedef struct pipeline {
  size_t n;       /* items */
  int threads;    /* workers (at most n are started) */
  size_t window;  /* items a worker may be ahead of the consumer (0: 4 per thread) */
  void *ctx;
  /* per-thread state: made in the thread, NULL when out of memory (then work gets NULL) */
  void *(*state_new)(void *ctx);
  void (*state_free)(void *state);
  void (*work)(void *ctx, void *state, size_t i); /* in a worker thread */
  int (*consume)(void *ctx, size_t i);            /* in the caller, in order; nonzero stops the run */
  volatile sig_atomic_t *interrupted;             /* optional: nonzero stops the run */
} pipeline_t;

enum { PIPELINE_DONE = 0, PIPELINE_STOPPED = 1, PIPELINE_INTERRUPTED = 2, PIPELINE_NO_THREADS = -1 };

/* Runs the pipeline. Workers finish the item in hand before it returns.
 * Sets *consumed to the number of items consumed. */
int pipeline_run(const pipeline_t *p, size_t *consumed);

#endif
