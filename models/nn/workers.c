#include "workers.h"

#include <pthread.h>
#include <stdlib.h>

struct workers {
  int n;
  pthread_t *tid;
  pthread_mutex_t mu;
  pthread_cond_t start, done;
  long generation; /* bumped per job */
  int pending;     /* workers still running the current job */
  int quit;
  work_fn fn;
  void *ctx;
  int items;
};

typedef struct arg {
  workers_t *w;
  int index;
} arg_t;

static void run_share(workers_t *w, int k) {
  int begin = (int)((long)w->items * k / w->n), end = (int)((long)w->items * (k + 1) / w->n);
  if (begin < end) w->fn(w->ctx, k, begin, end);
}

static void *loop(void *p) {
  arg_t *a = p;
  workers_t *w = a->w;
  int k = a->index;
  free(a);
  long seen = 0;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->quit && w->generation == seen) pthread_cond_wait(&w->start, &w->mu);
    if (w->quit) break;
    seen = w->generation;
    pthread_mutex_unlock(&w->mu);
    run_share(w, k);
    pthread_mutex_lock(&w->mu);
    if (--w->pending == 0) pthread_cond_signal(&w->done);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

workers_t *workers_new(int threads) {
  if (threads < 2) return NULL;
  workers_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->n = threads;
  w->tid = calloc((size_t)threads, sizeof *w->tid);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->start, NULL);
  pthread_cond_init(&w->done, NULL);
  if (!w->tid) {
    workers_free(w);
    return NULL;
  }
  for (int k = 1; k < threads; k++) {
    arg_t *a = malloc(sizeof *a);
    if (!a) break;
    a->w = w, a->index = k;
    if (pthread_create(&w->tid[k], NULL, loop, a)) {
      free(a);
      break;
    }
    w->n = k + 1;
  }
  if (w->n < 2) {
    workers_free(w);
    return NULL;
  }
  return w;
}

void workers_free(workers_t *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->quit = 1;
  pthread_cond_broadcast(&w->start);
  pthread_mutex_unlock(&w->mu);
  for (int k = 1; k < w->n; k++)
    if (w->tid && w->tid[k]) pthread_join(w->tid[k], NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->start);
  pthread_cond_destroy(&w->done);
  free(w->tid);
  free(w);
}

int workers_count(const workers_t *w) { return w ? w->n : 1; }

void workers_run(workers_t *w, work_fn fn, void *ctx, int n) {
  if (!w || n < 2) {
    if (n > 0) fn(ctx, 0, 0, n);
    return;
  }
  pthread_mutex_lock(&w->mu);
  w->fn = fn, w->ctx = ctx, w->items = n;
  w->pending = w->n - 1;
  w->generation++;
  pthread_cond_broadcast(&w->start);
  pthread_mutex_unlock(&w->mu);
  run_share(w, 0);
  pthread_mutex_lock(&w->mu);
  while (w->pending > 0) pthread_cond_wait(&w->done, &w->mu);
  pthread_mutex_unlock(&w->mu);
}
