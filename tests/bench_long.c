/* make bench, long recordings: 1-hour and 3-hour files (source tracks looped)
 * extracted alone with -j 1 (time, which should grow linearly) and together
 * with -j 2 (peak RSS, which should not grow with the length). Prints
 * figures; asserts nothing. The files are deleted afterwards. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "progress.h"

/* Writes `minutes` of the inputs' audio, looped, as 16-bit 22050 Hz mono. */
static int write_long(const input_list_t *in, const char *path, int minutes) {
  SF_INFO out = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *w = sf_open(path, SFM_WRITE, &out);
  if (!w) return -1;
  static float buf[1 << 16];
  sf_count_t left = (sf_count_t)minutes * 60 * 22050;
  for (size_t i = 0; left > 0; i = (i + 1) % in->n) {
    SF_INFO info = {0};
    SNDFILE *r = sf_open(in->items[i].path, SFM_READ, &info);
    sf_count_t got;
    while (r && info.channels == 1 && info.samplerate == 22050 && left > 0 &&
           (got = sf_readf_float(r, buf, left < (1 << 16) ? left : (1 << 16))) > 0)
      left -= sf_writef_float(w, buf, got);
    sf_close(r);
  }
  sf_close(w);
  return 0;
}

/* Runs extract; prints its wall time and peak RSS. */
static void extract(const char *genre, const char *what, const char *out, const char *in, int jobs, double audio_s) {
  char cmd[2000], line[1000];
  snprintf(cmd, sizeof cmd, "rm -rf %s && %s extract -o %s -j %d --no-progress %s 2>&1", out, genre, out, jobs, in);
  double t0 = now_seconds();
  FILE *p = popen(cmd, "r");
  double rss = -1;
  while (p && fgets(line, sizeof line, p)) {
    char *at = strstr(line, "peak RSS ");
    if (at) rss = atof(at + 9);
  }
  if (p) pclose(p);
  double s = now_seconds() - t0;
  printf("  %-28s %7.1f s (%4.0fx real time), peak RSS %4.0f MB\n", what, s, audio_s / s, rss);
}

int main(int argc, char **argv) {
  if (argc < 4) return fprintf(stderr, "usage: bench_long GENRE SOURCE_DIR WORK_DIR\n"), 1;
  const char *genre = argv[1], *work = argv[3];
  input_list_t in = {0};
  inputs_add(&in, argv[2]);
  if (in.n == 0) return fprintf(stderr, "bench_long: no audio in %s\n", argv[2]), 1;
  char dir1[1000], dir3[1000], both[2100], f1[1100], f3[1100], out[2200];
  snprintf(dir1, sizeof dir1, "%s/one", work);
  snprintf(dir3, sizeof dir3, "%s/three", work);
  snprintf(both, sizeof both, "%s/one %s/three", work, work);
  snprintf(f1, sizeof f1, "%s/60_minutes.wav", dir1);
  snprintf(f3, sizeof f3, "%s/180_minutes.wav", dir3);
  snprintf(out, sizeof out, "mkdir -p %s %s", dir1, dir3);
  if (system(out) != 0 || write_long(&in, f1, 60) || write_long(&in, f3, 180))
    return fprintf(stderr, "bench_long: cannot write the long files under %s\n", work), 1;
  snprintf(out, sizeof out, "%s/out", work);
  extract(genre, "1 h, -j 1:", out, dir1, 1, 3600);
  extract(genre, "3 h, -j 1:", out, dir3, 1, 10800);
  extract(genre, "1 h + 3 h together, -j 2:", out, both, 2, 14400);
  snprintf(out, sizeof out, "rm -rf %s/one %s/three %s/out", work, work, work);
  if (system(out) != 0) fprintf(stderr, "bench_long: could not clean %s\n", work);
  inputs_free(&in);
  return 0;
}
