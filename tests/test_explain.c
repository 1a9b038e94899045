/* genre explain: on spectrograms where one band alone carries the class, the
 * occlusion map puts its mass on that band, and so does gradient x input;
 * the PNG and .npy files are what they say; an audio file gives a picture
 * per segment; what is not a CNN is refused. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "npy.h"

#define BANDS 128
#define FRAMES 130
#define LO 48 /* the band that carries the class: rows [LO, LO + 16) */

static const char *dir;

/* Tracks of two classes: "tone" raises rows [LO, LO + 16) by 12 dB over noise, "plain" nothing. */
static void write_corpus(int tracks, int segs) {
  char path[800];
  run("mkdir -p %s/corpus/mel", dir);
  snprintf(path, sizeof path, "%s/corpus/mel/index.csv", dir);
  FILE *index = fopen(path, "w");
  fprintf(index, "file,label,segments,source\n");
  uint32_t s = 99;
  float *x = malloc((size_t)segs * BANDS * FRAMES * sizeof *x);
  for (int t = 0; t < tracks; t++) {
    for (size_t k = 0; k < (size_t)segs * BANDS * FRAMES; k++) {
      s = s * 1664525u + 1013904223u;
      int band = (int)(k / FRAMES % BANDS);
      x[k] = -40 + 8 * ((s >> 8) / 16777216.0f - 0.5f) + (t % 2 == 0 && band >= LO && band < LO + 16 ? 12 : 0);
    }
    snprintf(path, sizeof path, "%s/corpus/mel/t%03d.npy", dir, t);
    FILE *f = fopen(path, "wb");
    size_t shape[3] = {(size_t)segs, BANDS, FRAMES};
    npy_write_header(f, shape, 3);
    fwrite(x, sizeof *x, (size_t)segs * BANDS * FRAMES, f);
    fclose(f);
    fprintf(index, "t%03d.npy,%s,%d,t%03d.wav\n", t, t % 2 == 0 ? "tone" : "plain", segs, t);
  }
  fclose(index);
  free(x);
}

static float *read_map(const char *name) {
  char path[800];
  snprintf(path, sizeof path, "%s/out/%s", dir, name);
  FILE *f = fopen(path, "rb");
  size_t shape[NPY_MAX_DIMS];
  int nd;
  char err[300];
  float *m = NULL;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  if (npy_read_header(f, size, shape, &nd, err, sizeof err) == 0 && nd == 2 && shape[0] == BANDS && shape[1] == FRAMES &&
      (m = malloc(BANDS * FRAMES * sizeof *m)) && fread(m, sizeof *m, BANDS * FRAMES, f) != BANDS * FRAMES)
    free(m), m = NULL;
  fclose(f);
  return m;
}

/* Per block of 16 rows (8 blocks): the sum of the map's positive values, or of |values|. */
static void blocks(const float *m, int absolute, double *sum) {
  for (int k = 0; k < 8; k++) sum[k] = 0;
  for (int b = 0; b < BANDS; b++)
    for (int t = 0; t < FRAMES; t++) {
      double v = m[b * FRAMES + t];
      sum[b / 16] += absolute ? fabs(v) : fmax(v, 0);
    }
}

/* The share of the block [LO, LO + 16), and its ratio to the largest other block. */
static double band_share(const float *m, int absolute, double *ratio) {
  double sum[8], all = 0, other = 0;
  blocks(m, absolute, sum);
  for (int k = 0; k < 8; k++) all += sum[k], other = k != LO / 16 && sum[k] > other ? sum[k] : other;
  *ratio = other > 0 ? sum[LO / 16] / other : INFINITY;
  return all > 0 ? sum[LO / 16] / all : 0;
}

static void test_one_band(void) {
  const char *g = genre_bin();
  write_corpus(memcheck() ? 12 : 40, 3);
  CHECK(run("%s train cnn --mel %s/corpus -o %s/cnn.model --epochs %d --quiet > /dev/null 2>&1", g, dir, dir,
            memcheck() ? 2 : 5) == 0, "a CNN trained on the one-band corpus");
  CHECK(run("%s explain -m %s/cnn.model -o %s/out --mel %s/corpus/mel/t000.npy --label tone > %s/explain.log 2>&1", g, dir,
            dir, dir, dir) == 0, "explain a 'tone' track's spectrograms");
  float *occ = read_map("t000.0.occlusion.npy"), *gxi = read_map("t000.0.gradxinput.npy");
  CHECK(occ && gxi, "the maps are float32 [128, 130] .npy files");
  double ro = 0, rg = 0, so = occ ? band_share(occ, 0, &ro) : 0, sg = gxi ? band_share(gxi, 1, &rg) : 0;
  if (memcheck()) { /* 12 tracks, 2 epochs: the maps are checked for what they are; make test, for what they find */
    printf("  (memcheck: a CNN of 2 epochs; band share %.0f%%, gradient x input %.0f%%)\n", 100 * so, 100 * sg);
  } else {
    CHECK(so >= 0.4 && ro >= 2, "occlusion: the band that carries the class (1/8 of the rows) holds %.0f%% of the drop in "
          "the log-odds, %.1fx the next 16 rows' (bars 40%%, 2x; its neighbours share its edges)", 100 * so, ro);
    CHECK(rg > 1, "gradient x input: the most mass on that band (%.0f%%, %.2fx the next 16 rows')", 100 * sg, rg);
  }
  free(occ), free(gxi);
  char png[800];
  snprintf(png, sizeof png, "%s/out/t000.0.png", dir);
  size_t len;
  unsigned char *p = (unsigned char *)slurp(png, &len);
  uint32_t w = p && len > 24 ? (uint32_t)p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19] : 0;
  uint32_t h = p && len > 24 ? (uint32_t)p[20] << 24 | p[21] << 16 | p[22] << 8 | p[23] : 0;
  CHECK(p && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 && w > 2 * FRAMES * 3 && h > BANDS * 3,
        "a PNG of both panels (%ux%u)", w, h);
  free(p);
  CHECK(contains(strcat(strcpy((char[800]){0}, dir), "/explain.log"), "drops most at"), "a line per segment says where");
}

static void test_audio_and_refusals(void) {
  const char *g = genre_bin();
  CHECK(run("%s synth -o %s/syn -n 1 -s 7 > /dev/null && %s explain -m %s/cnn.model -o %s/out2 %s/syn/genres_original/waltz/waltz.00000.wav > /dev/null 2>&1",
            g, dir, g, dir, dir, dir) == 0, "explain an audio file");
  CHECK(run("test -s %s/out2/waltz.00000.0.png && test -s %s/out2/waltz.00000.1.png && ! test -e %s/out2/waltz.00000.2.png", dir,
            dir, dir) == 0, "a picture per 3-s segment (2 of them in 7 s)");
  CHECK(run("%s explain -m %s/cnn.model -o %s/out3 --segment 5 %s/syn/genres_original/waltz/waltz.00000.wav > /dev/null 2> %s/e.err",
            g, dir, dir, dir, dir) == 1 && contains(strcat(strcpy((char[800]){0}, dir), "/e.err"), "segment 5 of 2"),
        "a segment past the end: refused");
  run("%s extract -o %s/feat --no-progress %s/syn/genres_original > /dev/null 2>&1 && %s train ann --features "
      "%s/feat/features_3_sec.csv -o %s/ann.model --epochs 2 --val-fraction 0 --no-calibrate --quiet > /dev/null 2>&1",
      g, dir, dir, g, dir, dir);
  CHECK(run("%s explain -m %s/ann.model -o %s/out4 %s/syn/genres_original/waltz/waltz.00000.wav > /dev/null 2> %s/e.err", g,
            dir, dir, dir, dir) == 0 && run("test -s %s/out4/waltz.00000.features.csv && ! test -e %s/out4/waltz.00000.0.png",
                                            dir, dir) == 0,
        "an ANN: its features ranked per segment (STEM.features.csv), no map");
  CHECK(run("%s explain -m %s/syn/genres_original/waltz/waltz.00000.wav -o %s/out5 %s/syn/genres_original/waltz/waltz.00000.wav "
            "> /dev/null 2> %s/e.err", g, dir, dir, dir, dir) == 1, "a WAV given as the model: refused");
}

int main(void) {
  dir = scratch_dir();
  RUN(test_one_band);
  RUN(test_audio_and_refusals);
  return check_summary();
}
