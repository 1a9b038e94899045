#include "pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct run {
  const pipeline_t *p;
  unsigned char *done; /* [n] */
  size_t next, consumed, window;
  int stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} run_t;

static void *worker(void *arg) {
  run_t *r = arg;
  const pipeline_t *p = r->p;
  void *state = p->state_new ? p->state_new(p->ctx) : NULL;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->next < p->n && r->next >= r->consumed + r->window) pthread_cond_wait(&r->cv, &r->mu);
    if (r->stop || r->next >= p->n) {
      pthread_mutex_unlock(&r->mu);
      break;
    }
    size_t i = r->next++;
    pthread_mutex_unlock(&r->mu);
    p->work(p->ctx, state, i);
    pthread_mutex_lock(&r->mu);
    r->done[i] = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
  }
  if (p->state_free) p->state_free(state);
  return NULL;
}

/* Waits for item i, waking every 100 ms to notice an interruption. 0 when
 * done, -1 when interrupted. */
static int wait_for(run_t *r, size_t i) {
  const pipeline_t *p = r->p;
  pthread_mutex_lock(&r->mu);
  while (!r->done[i] && !(p->interrupted && *p->interrupted)) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&r->cv, &r->mu, &ts);
  }
  int ok = r->done[i] && !(p->interrupted && *p->interrupted);
  pthread_mutex_unlock(&r->mu);
  return ok ? 0 : -1;
}

static void finish(run_t *r, pthread_t *threads, int started) {
  pthread_mutex_lock(&r->mu);
  r->stop = 1; /* workers finish the item in hand */
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  for (int t = 0; t < started; t++) pthread_join(threads[t], NULL);
}

int pipeline_run(const pipeline_t *p, size_t *consumed) {
  *consumed = 0;
  if (p->n == 0) return PIPELINE_DONE;
  int threads = p->threads < 1 ? 1 : p->threads;
  if ((size_t)threads > p->n) threads = (int)p->n;
  run_t r = {.p = p, .window = p->window ? p->window : 4 * (size_t)threads};
  r.done = calloc(p->n, 1);
  pthread_t *tid = calloc((size_t)threads, sizeof *tid);
  if (!r.done || !tid) {
    free(r.done), free(tid);
    return PIPELINE_NO_THREADS;
  }
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  int started = 0;
  while (started < threads && pthread_create(&tid[started], NULL, worker, &r) == 0) started++;
  int status = started ? PIPELINE_DONE : PIPELINE_NO_THREADS;
  for (size_t i = 0; i < p->n && status == PIPELINE_DONE; i++) {
    if (wait_for(&r, i)) {
      status = PIPELINE_INTERRUPTED;
      break;
    }
    if (p->consume(p->ctx, i)) status = PIPELINE_STOPPED;
    pthread_mutex_lock(&r.mu);
    r.consumed = i + 1;
    pthread_cond_broadcast(&r.cv);
    pthread_mutex_unlock(&r.mu);
    *consumed = i + 1;
  }
  finish(&r, tid, started);
  pthread_mutex_destroy(&r.mu);
  pthread_cond_destroy(&r.cv);
  free(r.done), free(tid);
  return status;
}
