#include "loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

struct loader {
  row_source_t src;
  int max_batch, depth;         /* depth: slots; 1 and no thread when reading on demand */
  real *slots;                  /* [depth][max_batch][in] */
  unsigned char *skip;          /* [depth][max_batch] */
  int *rows_in;                 /* [depth]: rows of the batch in each slot */
  /* the job */
  const size_t *order;
  size_t n, n_batches;
  int B, share;
  size_t read, taken, released; /* batches read into slots, handed out, given back */
  int failed, quit, busy;
  char err[1200];
  int threaded;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

static int read_range(loader_t *l, const size_t *rows, size_t lo, size_t hi, real *x, char *err, size_t errlen) {
  if (hi <= lo) return 0;
  if (l->src.x) {
    for (size_t i = lo; i < hi; i++) memcpy(x + i * l->src.in, l->src.x + rows[i] * l->src.in, l->src.in * sizeof(real));
    return 0;
  }
  return l->src.read(l->src.ctx, rows + lo, (int)(hi - lo), x + lo * l->src.in, err, errlen);
}

/* Batch k of the job into slot k % depth: the rows this process needs. 0, or -1. */
static int read_batch(loader_t *l, size_t k, char *err, size_t errlen) {
  size_t start = k * (size_t)l->B, b = l->n - start < (size_t)l->B ? l->n - start : (size_t)l->B;
  int s = (int)(k % (size_t)l->depth);
  real *x = l->slots + (size_t)s * l->max_batch * l->src.in;
  unsigned char *skip = l->skip + (size_t)s * l->max_batch;
  const size_t *rows = l->order + start;
  l->rows_in[s] = (int)b;
  if (l->share == LOADER_ALL) return read_range(l, rows, 0, b, x, err, errlen);
  size_t lo, hi, mlo, mhi;
  dist_share(b, &lo, &hi);
  mlo = l->share == LOADER_SHARE_MIRROR ? b - hi : lo, mhi = l->share == LOADER_SHARE_MIRROR ? b - lo : lo;
  for (size_t i = 0; i < b; i++) skip[i] = !((i >= lo && i < hi) || (i >= mlo && i < mhi));
  if (read_range(l, rows, lo, hi, x, err, errlen)) return -1;
  /* the partners outside the share: [mlo, mhi) less [lo, hi) */
  if (read_range(l, rows, mlo, mhi < lo ? mhi : lo > mlo ? lo : mlo, x, err, errlen)) return -1;
  return read_range(l, rows, mlo > hi ? mlo : hi, mhi, x, err, errlen);
}

static void *reader(void *arg) {
  loader_t *l = arg;
  char err[sizeof l->err];
  pthread_mutex_lock(&l->mu);
  for (;;) {
    while (!l->quit && (l->failed || l->read == l->n_batches || l->read - l->released >= (size_t)l->depth))
      pthread_cond_wait(&l->cv, &l->mu);
    if (l->quit) break;
    size_t k = l->read;
    l->busy = 1;
    pthread_mutex_unlock(&l->mu);
    int rc = read_batch(l, k, err, sizeof err);
    pthread_mutex_lock(&l->mu);
    l->busy = 0;
    if (rc) l->failed = 1, memcpy(l->err, err, sizeof err);
    else l->read++;
    pthread_cond_broadcast(&l->cv);
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

loader_t *loader_new(const row_source_t *src, int max_batch) {
  loader_t *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->src = *src, l->max_batch = max_batch;
  l->threaded = !src->x && src->read_ahead > 0;
  l->depth = l->threaded ? src->read_ahead + 1 : 1; /* the caller's slot and read_ahead more */
  l->slots = malloc((size_t)l->depth * max_batch * src->in * sizeof(real));
  l->skip = calloc((size_t)l->depth * max_batch, 1);
  l->rows_in = calloc((size_t)l->depth, sizeof(int));
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  if (!l->slots || !l->skip || !l->rows_in || (l->threaded && pthread_create(&l->thread, NULL, reader, l))) {
    l->threaded = 0;
    loader_free(l);
    return NULL;
  }
  return l;
}

/* Ends the current job: the reader finishes the batch it is reading. Holds mu. */
static void stop_job(loader_t *l) {
  l->n_batches = l->read; /* nothing more to read */
  pthread_cond_broadcast(&l->cv);
  while (l->busy) pthread_cond_wait(&l->cv, &l->mu);
}

void loader_free(loader_t *l) {
  if (!l) return;
  if (l->threaded) {
    pthread_mutex_lock(&l->mu);
    stop_job(l);
    l->quit = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
  }
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l->slots), free(l->skip), free(l->rows_in), free(l);
}

void loader_start(loader_t *l, const size_t *order, size_t n, int B, int share) {
  pthread_mutex_lock(&l->mu);
  stop_job(l);
  if (B > l->max_batch) B = l->max_batch;
  if (share != LOADER_ALL && dist_size() == 1) share = LOADER_ALL;
  l->order = order, l->n = n, l->B = B > 0 ? B : 1, l->share = share;
  l->n_batches = (n + (size_t)l->B - 1) / (size_t)l->B;
  l->read = l->taken = l->released = 0;
  l->failed = 0, l->err[0] = '\0';
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

real *loader_next(loader_t *l, int *b, const unsigned char **skipped) {
  pthread_mutex_lock(&l->mu);
  l->released = l->taken; /* the caller is done with the batch it had */
  pthread_cond_broadcast(&l->cv);
  if (l->taken == l->n_batches || l->failed) {
    pthread_mutex_unlock(&l->mu);
    return NULL;
  }
  if (!l->threaded) { /* on demand, into the one slot */
    if (read_batch(l, l->taken, l->err, sizeof l->err)) l->failed = 1;
    else l->read++;
  }
  while (l->read <= l->taken && !l->failed) pthread_cond_wait(&l->cv, &l->mu);
  if (l->read <= l->taken) {
    pthread_mutex_unlock(&l->mu);
    return NULL;
  }
  int s = (int)(l->taken++ % (size_t)l->depth);
  pthread_mutex_unlock(&l->mu);
  *b = l->rows_in[s];
  if (skipped) *skipped = l->share != LOADER_ALL ? l->skip + (size_t)s * l->max_batch : NULL;
  return l->slots + (size_t)s * l->max_batch * l->src.in;
}

const char *loader_error(const loader_t *l) { return l->err; }
