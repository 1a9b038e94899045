/* A one-line progress display on stderr, only when stderr is a terminal:
 * "label [=====>     ] done/total  rate/s  ETA m:ss". */
#ifndef GENRE_PROGRESS_H
#define GENRE_PROGRESS_H

#include <signal.h>
#include <stddef.h>

typedef struct progress {
  int enabled;
  const char *label, *unit;
  size_t total;
  double start, last_draw;
  int drawn;
} progress_t;

void progress_start(progress_t *p, const char *label, const char *unit, size_t total, int allow);
void progress_update(progress_t *p, size_t done); /* redraws at most 10 times a second */
void progress_clear(progress_t *p);               /* erases the line (before other output) */
void progress_finish(progress_t *p);

double now_seconds(void); /* monotonic clock */

/* Set by a program that runs this library in-process (the Python package,
 * on Ctrl-C): training stops before its next epoch, cross-validation before
 * its next fold, each with the error "interrupted". 0 otherwise. */
extern volatile sig_atomic_t genre_stop;

#endif
