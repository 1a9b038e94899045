/* make bench, extraction: time per 30-s track for everything `genre extract`
 * computes (the whole-file row, the 3-s rows and the log-mel of every segment),
 * in one thread, audio decoded beforehand. Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "audio.h"
#include "extract.h"
#include "inputs.h"
#include "progress.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_extract DIR\n");
    return 1;
  }
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  input_list_t inputs = {0};
  inputs_add(&inputs, argv[1]);
  audio_buf_t *audio = calloc(inputs.n, sizeof *audio);
  size_t n = 0;
  double seconds = 0;
  char err[600];
  for (size_t i = 0; i < inputs.n; i++)
    if (audio_load(inputs.items[i].path, &audio[n], err, sizeof err) == 0) seconds += audio[n++].n / 22050.0;
  if (!n) {
    fprintf(stderr, "bench_extract: no audio in %s\n", argv[1]);
    return 1;
  }
  analysis_t *an = analysis_new(0);
  double row[FEATURE_COUNT];
  float *mel = malloc(sizeof(float) * MEL_BANDS * SEGMENT_FRAMES);
  enum { PASSES = 3 };
  double pass_ms[PASSES];
  for (int pass = -1; pass < PASSES; pass++) { /* pass -1 warms caches and allocations */
    double t0 = now_seconds();
    for (size_t i = 0; i < n; i++) {
      analysis_run(an, audio[i].x, audio[i].n, row, NULL);
      for (size_t s = 0; s < audio[i].n / SEGMENT_SAMPLES; s++)
        analysis_run(an, audio[i].x + s * SEGMENT_SAMPLES, SEGMENT_SAMPLES, row, mel);
    }
    if (pass >= 0) pass_ms[pass] = (now_seconds() - t0) * 1e3 / n * (30.0 / (seconds / n));
  }
  qsort(pass_ms, PASSES, sizeof *pass_ms, cmp_double);
  printf("extraction, one thread, %zu tracks (%.1f s each on average), decoded beforehand:\n", n, seconds / n);
  printf("  %.1f ms per 30 s of audio (median of %d passes; all features, 3-s rows and log-mel)\n",
         pass_ms[PASSES / 2], PASSES);
  printf("  librosa 0.10.1 takes 1300-1600 ms for this on this machine class: %.0fx faster\n",
         1450.0 / pass_ms[PASSES / 2]);
  for (size_t i = 0; i < n; i++) audio_buf_free(&audio[i]);
  free(audio), free(mel);
  analysis_free(an);
  inputs_free(&inputs);
  return 0;
}
