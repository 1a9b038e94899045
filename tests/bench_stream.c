/* make bench, streaming: genre predict --stream fed the PCM of a corpus at 20x
 * real time through a pipe; for each window, the time from writing its last
 * sample to reading its line (the latency a listener sees, plus the pipe),
 * and predict's own summary (compute per window, real-time factor). Prints
 * figures; asserts nothing. usage: bench_stream GENRE DIR -m MODEL... */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audio.h"
#include "extract.h"
#include "inputs.h"
#include "progress.h"

#define PACE 20.0 /* times real time */
#define MAX_WINDOWS 100000

static double written_at[MAX_WINDOWS], read_at[MAX_WINDOWS];
static size_t n_read;

static void *reader(void *arg) {
  FILE *f = arg;
  char line[4096];
  int header = 1;
  while (fgets(line, sizeof line, f)) {
    if (header) {
      header = 0;
      continue;
    }
    if (n_read < MAX_WINDOWS) read_at[n_read++] = now_seconds();
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void sleep_until(double t) {
  double d = t - now_seconds();
  if (d <= 0) return;
  struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  if (argc < 5) return fprintf(stderr, "usage: bench_stream GENRE DIR -m MODEL...\n"), 1;
  signal(SIGPIPE, SIG_IGN);
  input_list_t in = {0};
  inputs_add(&in, argv[2]);
  int to_child[2], from_child[2];
  if (pipe(to_child) || pipe(from_child)) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(to_child[0], 0), dup2(from_child[1], 1);
    close(to_child[1]), close(from_child[0]);
    char *args[64] = {argv[1], "predict", "--stream", "--format", "csv", "--threads", "1"};
    int k = 7;
    for (int i = 3; i < argc && k < 62; i++) args[k++] = argv[i];
    args[k++] = "-";
    args[k] = NULL;
    execv(argv[1], args);
    _exit(127);
  }
  close(to_child[0]), close(from_child[1]);
  FILE *out = fdopen(from_child[0], "r");
  pthread_t th;
  pthread_create(&th, NULL, reader, out);
  audio_buf_t audio = {0};
  char err[300];
  size_t windows = 0, total = 0;
  double start = now_seconds();
  int16_t block[2205]; /* 0.1 s */
  for (size_t f = 0; f < in.n && f < 20; f++) { /* the first 20 files: 10 minutes */
    if (audio_load(in.items[f].path, &audio, err, sizeof err)) continue;
    for (size_t i = 0; i < audio.n;) {
      size_t n = audio.n - i < 2205 ? audio.n - i : 2205;
      size_t to_end = SEGMENT_SAMPLES - total % SEGMENT_SAMPLES; /* stop at a window's end */
      if (n > to_end) n = to_end;
      for (size_t j = 0; j < n; j++) {
        float v = audio.x[i + j] * 32768.0f;
        block[j] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
      }
      sleep_until(start + (double)total / AUDIO_SR / PACE);
      if (write(to_child[1], block, n * 2) != (ssize_t)(n * 2)) break;
      total += n, i += n;
      if (total % SEGMENT_SAMPLES == 0 && windows < MAX_WINDOWS) written_at[windows++] = now_seconds();
    }
  }
  close(to_child[1]);
  pthread_join(th, NULL);
  waitpid(pid, NULL, 0);
  size_t n = windows < n_read ? windows : n_read;
  double lat[MAX_WINDOWS];
  for (size_t i = 0; i < n; i++) lat[i] = (read_at[i] - written_at[i]) * 1e3;
  qsort(lat, n, sizeof *lat, cmp);
  if (n)
    printf("  latency from a window's last sample to its line (%zu windows, fed at %.0fx real time): "
           "median %.1f ms, p99 %.1f ms, max %.1f ms\n", n, PACE, lat[n / 2], lat[n - 1 - n / 100], lat[n - 1]);
  audio_buf_free(&audio);
  inputs_free(&in);
  return 0;
}
