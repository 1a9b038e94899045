#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t genre_stop;

double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

void progress_start(progress_t *p, const char *label, const char *unit, size_t total, int allow) {
  p->enabled = allow && isatty(STDERR_FILENO);
  p->label = label, p->unit = unit, p->total = total;
  p->start = now_seconds();
  p->last_draw = 0.0;
  p->drawn = 0;
}

void progress_update(progress_t *p, size_t done) {
  if (!p->enabled) return;
  double t = now_seconds();
  if (done < p->total && t - p->last_draw < 0.1) return;
  p->last_draw = t;
  double elapsed = t - p->start, rate = elapsed > 0 ? done / elapsed : 0.0;
  char bar[31];
  int fill = p->total ? (int)(30.0 * done / p->total) : 30;
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
  bar[30] = '\0';
  fprintf(stderr, "\r\033[K%s [%s] %zu/%zu %s  %.1f/s", p->label, bar, done, p->total, p->unit, rate);
  if (rate > 0 && done < p->total) {
    long eta = (long)((p->total - done) / rate + 0.5);
    fprintf(stderr, "  ETA %ld:%02ld", eta / 60, eta % 60);
  }
  fflush(stderr);
  p->drawn = 1;
}

void progress_clear(progress_t *p) {
  if (p->enabled && p->drawn) fprintf(stderr, "\r\033[K");
}

void progress_finish(progress_t *p) {
  progress_clear(p);
  p->drawn = 0;
}
