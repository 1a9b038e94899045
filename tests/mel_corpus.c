/* Writes a synthetic log-mel corpus straight into extract's layout, no audio:
 * OUT/mel/index.csv and one .npy of [segments][128][130] float32 per track.
 * Track t is of class t % classes, which raises a band range of its own by
 * 12 dB above noise: a CNN learns it in an epoch. The same arguments give the
 * same bytes.
 *
 *   mel_corpus OUT TRACKS SEGMENTS CLASSES SEED
 *
 * For the streaming test (a corpus larger than a memory cgroup) and make
 * bench (tens of GB). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy.h"

#define BANDS 128
#define FRAMES 130

static uint64_t next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static float uniform(uint64_t *s) { return (float)(next(s) >> 40) / (float)(1 << 24); }

static int write_track(const char *path, long t, long segs, long classes, unsigned long seed, float *x) {
  uint64_t s = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(t + 1) * 0xbf58476d1ce4e5b9ull;
  int c = (int)(t % classes), lo = c * BANDS / (int)classes, hi = (c + 1) * BANDS / (int)classes;
  float level = -40 - 10 * uniform(&s);
  for (long k = 0; k < segs * BANDS * FRAMES; k++) {
    int band = (int)(k / FRAMES % BANDS);
    float v = level + 8 * (uniform(&s) - 0.5f) + (band >= lo && band < hi ? 12.0f : 0.0f);
    x[k] = v < -80 ? -80 : v > 0 ? 0 : v;
  }
  FILE *f = fopen(path, "wb");
  size_t shape[3] = {(size_t)segs, BANDS, FRAMES}, n = (size_t)segs * BANDS * FRAMES;
  int rc = !f || npy_write_header(f, shape, 3) || fwrite(x, sizeof(float), n, f) != n;
  if (f && fclose(f)) rc = 1;
  if (rc) fprintf(stderr, "mel_corpus: %s: %s\n", path, strerror(errno));
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: mel_corpus OUT TRACKS SEGMENTS CLASSES SEED\n");
    return 2;
  }
  long tracks = atol(argv[2]), segs = atol(argv[3]), classes = atol(argv[4]);
  unsigned long seed = strtoul(argv[5], NULL, 10);
  if (tracks < 1 || segs < 1 || segs > 10000 || classes < 2 || classes > BANDS) {
    fprintf(stderr, "mel_corpus: TRACKS >= 1, 1 <= SEGMENTS <= 10000, 2 <= CLASSES <= %d\n", BANDS);
    return 2;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/mel", argv[1]);
  mkdir(argv[1], 0777), mkdir(path, 0777);
  float *x = malloc((size_t)segs * BANDS * FRAMES * sizeof(float));
  snprintf(path, sizeof path, "%s/mel/index.csv", argv[1]);
  FILE *index = fopen(path, "w");
  if (!x || !index) {
    fprintf(stderr, "mel_corpus: %s: cannot write\n", path);
    return 1;
  }
  fprintf(index, "file,label,segments,source\n");
  for (long t = 0; t < tracks; t++) {
    snprintf(path, sizeof path, "%s/mel/t%07ld.npy", argv[1], t);
    if (write_track(path, t, segs, classes, seed, x)) return 1;
    fprintf(index, "t%07ld.npy,class%02ld,%ld,t%07ld.wav\n", t, t % classes, segs, t);
  }
  free(x);
  return fclose(index) ? 1 : 0;
}
