/* make bench, full-length tracks as FMA and MTG-Jamendo ship them: writes N
 * MP3 files (44.1 kHz stereo) of SECONDS each from the corpus's audio,
 * looped, for tests/bench_cluster.sh to time. Asserts nothing.
 * usage: bench_mp3 CORPUS OUTDIR N SECONDS */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>

#include "inputs.h"

/* One track: the inputs' 22050 Hz mono audio from input `first` on, each
 * sample doubled in time and copied to both channels */
static int write_track(const input_list_t *in, size_t first, const char *path, long seconds) {
  SF_INFO out = {.samplerate = 44100, .channels = 2, .format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III};
  SNDFILE *w = sf_open(path, SFM_WRITE, &out);
  if (!w) return fprintf(stderr, "bench_mp3: %s: %s\n", path, sf_strerror(NULL)), -1;
  static float buf[1 << 15], st[4 << 15];
  sf_count_t left = (sf_count_t)seconds * 44100;
  for (size_t i = first; left > 0; i = (i + 1) % in->n) {
    SF_INFO info = {0};
    SNDFILE *r = sf_open(in->items[i].path, SFM_READ, &info);
    sf_count_t got;
    while (r && info.channels == 1 && left > 0 && (got = sf_readf_float(r, buf, 1 << 15)) > 0) {
      for (sf_count_t k = 0; k < got; k++) st[4 * k] = st[4 * k + 1] = st[4 * k + 2] = st[4 * k + 3] = buf[k];
      sf_count_t frames = 2 * got < left ? 2 * got : left;
      left -= sf_writef_float(w, st, frames);
    }
    sf_close(r);
  }
  sf_close(w);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) return fprintf(stderr, "usage: bench_mp3 CORPUS OUTDIR N SECONDS\n"), 1;
  input_list_t in = {0};
  char path[4200];
  if (inputs_list(&in, argv + 1, 1, 0, "bench_mp3")) return 1;
  for (int k = 0; k < atoi(argv[3]); k++) {
    snprintf(path, sizeof path, "%s/track%02d.mp3", argv[2], k);
    if (write_track(&in, (size_t)k * 7 % in.n, path, atol(argv[4]))) return 1;
  }
  inputs_free(&in);
  return 0;
}
