/* Building blocks against definitions: the sliding median against a sort,
 * the STFT against its inverse, the mel and chroma filterbanks and the DCT
 * against their definitions, the .npy and CSV formats against their specs. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "chroma.h"
#include "median.h"
#include "mel.h"
#include "npy.h"
#include "outfile.h"
#include "stft.h"
#include "table.h"

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* median31 with reflected boundaries against sorting each window */
static void test_median_matches_sort(void) {
  enum { N = 200 };
  static float data[N][MEDIAN_LANES], out[N][MEDIAN_LANES];
  srand(7);
  for (int i = 0; i < N; i++)
    for (int l = 0; l < MEDIAN_LANES; l++) /* lanes 0-7 random, 8-15 with many ties */
      data[i][l] = l < 8 ? (float)rand() / RAND_MAX : (float)(rand() % 4);
  const float *rows[N + 30];
  for (int p = 0; p < N + 30; p++) rows[p] = data[reflect_index(p - MEDIAN_HALF, N)];
  median31(rows, N, &out[0][0], MEDIAN_LANES);
  int bad = 0;
  for (int i = 0; i < N; i++)
    for (int l = 0; l < MEDIAN_LANES; l++) {
      float w[MEDIAN_WIDTH];
      for (int d = 0; d < MEDIAN_WIDTH; d++) w[d] = data[reflect_index(i + d - MEDIAN_HALF, N)][l];
      qsort(w, MEDIAN_WIDTH, sizeof *w, cmp_float);
      bad += w[MEDIAN_HALF] != out[i][l];
    }
  CHECK(bad == 0, "median31 differs from sorting at %d of %d positions", bad, N * MEDIAN_LANES);
}

static void test_reflect_index(void) {
  /* scipy "reflect": (d c b a | a b c d | d c b a) */
  CHECK(reflect_index(-1, 4) == 0 && reflect_index(-2, 4) == 1 && reflect_index(-4, 4) == 3,
        "reflection before the start");
  CHECK(reflect_index(4, 4) == 3 && reflect_index(5, 4) == 2 && reflect_index(7, 4) == 0,
        "reflection after the end");
  CHECK(reflect_index(-5, 4) == 3 && reflect_index(8, 4) == 0, "period 2n further out");
  CHECK(reflect_index(3, 1) == 0 && reflect_index(-3, 1) == 0, "length 1");
}

/* The inverse of the forward transform, overlap-added and normalised by the
 * window sum, gives the signal back (librosa.istft(librosa.stft(y)) == y). */
static void test_stft_roundtrip(void) {
  enum { N = 6000 };
  static float x[N];
  static double y[N + STFT_N_FFT], den[N + STFT_N_FFT];
  for (int i = 0; i < N; i++) x[i] = (float)(0.5 * sin(0.01 * i) + 0.1 * cos(0.37 * i));
  stft_t *s = stft_new();
  float *spec = stft_alloc(STFT_CROW * sizeof(float));
  double *frame = stft_alloc(STFT_N_FFT * sizeof(double));
  size_t frames = stft_frames(N);
  CHECK(frames == 1 + N / 512, "1 + n/hop frames");
  const double *w = stft_window(s);
  CHECK(w[0] == 0.0 && fabs(w[1024] - 1.0) < 1e-15, "periodic Hann: w[0] = 0, w[n/2] = 1");
  for (size_t t = 0; t < frames; t++) {
    stft_frame(s, x, N, t, spec);
    stft_inverse(s, spec, frame);
    for (int i = 0; i < STFT_N_FFT; i++) {
      long at = (long)(t * STFT_HOP) - STFT_N_FFT / 2 + i;
      if (at < 0 || at >= N) continue;
      y[at] += frame[i];
      den[at] += w[i] * w[i];
    }
  }
  double worst = 0;
  for (int i = 0; i < N; i++) worst = fmax(worst, fabs(y[i] / den[i] - x[i]));
  CHECK(worst < 1e-6, "istft(stft(x)) == x: worst error %g", worst);
  /* DC of a constant frame: sum of the window (1024 for a periodic Hann of 2048) */
  float ones[4096];
  for (int i = 0; i < 4096; i++) ones[i] = 1.0f;
  stft_frame(s, ones, 4096, 4, spec);
  CHECK_NEAR(spec[0], 1024.0, 1e-3, "DC bin of a constant");
  CHECK(fabs(spec[1]) < 1e-6 && fabs(spec[4]) < 1e-3, "no leakage beyond bin 1 for a constant");
  free(spec), free(frame);
  stft_free(s);
}

static void test_mel_filterbank(void) {
  melbank_t *m = melbank_new(22050, 2048);
  const float *w = melbank_weights(m);
  /* Slaney scale: linear below 1 kHz (200/3 Hz per mel), log above */
  CHECK_NEAR(hz_to_mel(1000.0), 15.0, 1e-12, "1 kHz is mel 15");
  CHECK_NEAR(mel_to_hz(hz_to_mel(4321.0)), 4321.0, 1e-9, "mel round trip");
  /* Slaney normalisation: every triangle has area 1 (in Hz, times its peak
   * 2/(width)), so sum(w * bin_hz) over a band is close to 1 for wide bands */
  double area_top = 0;
  for (int k = 0; k < 1025; k++) area_top += w[127 * 1025 + k] * (22050.0 / 2048);
  CHECK_NEAR(area_top, 1.0, 0.02, "area of the top mel band");
  int empty = 0;
  for (int b = 0; b < 128; b++) {
    double sum = 0;
    for (int k = 0; k < 1025; k++) sum += w[b * 1025 + k];
    empty += sum == 0;
  }
  /* with 128 bands and 2048-point frames the lowest bands fall between bins */
  CHECK(empty < 10, "mel bands without any FFT bin: %d", empty);
  melbank_free(m);

  float db[4] = {1.0f, 1e-3f, 0.0f, 1e-12f};
  CHECK(power_to_db(db, 4, NULL) == 0.0f, "the maximum in dB");
  CHECK(db[0] == 0.0f && fabs(db[1] + 30.0f) < 1e-4, "10 log10");
  CHECK(db[2] == -80.0f && db[3] == -80.0f, "floor at max - 80 dB");
  float db2[3] = {1e-3f, 1e-7f, 1e-9f}, top = 0.0f;
  power_to_db(db2, 3, &top);
  CHECK(fabs(db2[0] + 30.0f) < 1e-4 && db2[1] == -70.0f && db2[2] == -80.0f, "a given maximum sets the floor");
}

static void test_dct_orthonormal(void) {
  double d[MFCC_COUNT * MEL_BANDS];
  mfcc_dct_matrix(d);
  double worst = 0;
  for (int i = 0; i < MFCC_COUNT; i++)
    for (int j = 0; j < MFCC_COUNT; j++) {
      double dot = 0;
      for (int n = 0; n < MEL_BANDS; n++) dot += d[i * MEL_BANDS + n] * d[j * MEL_BANDS + n];
      worst = fmax(worst, fabs(dot - (i == j)));
    }
  CHECK(worst < 1e-12, "DCT-II rows orthonormal (worst %g)", worst);
}

static void test_chroma_filterbank(void) {
  static float w[CHROMA_BINS * 1025];
  chroma_filterbank(22050, 2048, 0.0, w);
  /* the bin nearest 440 Hz (bin 41 = 441.4 Hz) weighs most on A (chroma 9) */
  int best = 0;
  for (int c = 1; c < CHROMA_BINS; c++)
    if (w[c * 1025 + 41] > w[best * 1025 + 41]) best = c;
  CHECK(best == 9, "440 Hz maps to chroma A (got %d)", best);
  /* 261.6 Hz (C4) is between bins 24 and 25; bin 24 = 258.4 Hz is nearest C */
  best = 0;
  for (int c = 1; c < CHROMA_BINS; c++)
    if (w[c * 1025 + 24] > w[best * 1025 + 24]) best = c;
  CHECK(best == 0, "bin 24 (258 Hz) maps to C (got %d)", best);
}

static void test_tuning_estimate(void) {
  /* peaks a quarter of a semitone sharp: tuning 0.25 */
  pitch_peaks_t p = {0};
  float *pitch = malloc(200 * sizeof(float)), *mag = malloc(200 * sizeof(float)),
        *scratch = malloc(200 * sizeof(float));
  p.pitch = pitch, p.mag = mag, p.scratch = scratch, p.cap = 200, p.n = 200;
  for (int i = 0; i < 200; i++) {
    pitch[i] = (float)(440.0 * pow(2.0, (0.25 + (i % 7)) / 12.0));
    mag[i] = 1.0f + (float)(i % 3);
  }
  int bin = estimate_tuning_bin(&p);
  CHECK_NEAR(tuning_of_bin(bin), 0.25, 1e-9, "tuning of peaks 25 cents sharp");
  p.n = 0;
  CHECK_NEAR(tuning_of_bin(estimate_tuning_bin(&p)), 0.0, 0.0, "no peaks: tuning 0");
  pitch_peaks_free(&p);
}

static void test_npy_header(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/a.npy", scratch_dir());
  FILE *f = fopen(path, "wb");
  size_t shape[3] = {10, 128, 130};
  CHECK(npy_write_header(f, shape, 3) == 0, "write header");
  long header = ftell(f);
  CHECK(header % 64 == 0, "data aligned to 64 bytes (header %ld)", header);
  float zero[128] = {0};
  for (int i = 0; i < 10 * 130; i++) fwrite(zero, sizeof(float), 128, f);
  fclose(f);
  f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  size_t got[4];
  int nd = 0;
  char err[200];
  CHECK(npy_read_header(f, size, got, &nd, err, sizeof err) == 0, "read header back: %s", err);
  CHECK(nd == 3 && got[0] == 10 && got[1] == 128 && got[2] == 130, "shape round trip");
  fclose(f);
  /* truncated data is refused */
  f = fopen(path, "rb");
  CHECK(npy_read_header(f, size - 4, got, &nd, err, sizeof err) != 0 && strstr(err, "truncated"),
        "truncated data refused (%s)", err);
  fclose(f);
}

/* float16 spectrograms (extract --mel-dtype f16): IEEE binary16, round to
 * nearest even; checked against Python's struct 'e' over every half and 65 k
 * float patterns when written, and here against values worked by hand */
static void test_half_float(void) {
  static const struct {
    float f;
    uint16_t h;
  } known[] = {{1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {0x1p-24f, 0x0001}, {0x1p-14f, 0x0400},
               {-80.0f, 0xd500}, {0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f + 0x1p-11f, 0x3c00} /* tie: to even */,
               {1.0f + 3 * 0x1p-11f, 0x3c02} /* tie: to even, up */, {65520.0f, 0x7c00} /* past the largest */,
               {0x1p-25f, 0x0000} /* half the smallest subnormal: to even, 0 */, {3 * 0x1p-26f, 0x0001}};
  int ok = 1;
  for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok &= npy_half(known[i].f) == known[i].h;
  CHECK(ok, "float -> half: exact values, ties to even, overflow and subnormals");
  int trip = 1, order = 1;
  for (unsigned h = 0; h < 0x7c00; h++) { /* every finite positive half: exact both ways, increasing */
    float v = npy_float((uint16_t)h);
    trip &= npy_half(v) == h && npy_half(-v) == (h | 0x8000) && npy_float((uint16_t)(h | 0x8000)) == -v;
    if (h) order &= v > npy_float((uint16_t)(h - 1));
  }
  CHECK(trip && order, "every finite half -> float -> half is exact, and the floats increase");
  CHECK(isinf(npy_float(0x7c00)) && isnan(npy_float(0x7e00)) && isnan(npy_float(npy_half(NAN))), "infinity and NaN kept");
  /* the worst error over the dB range of a spectrogram: half a step at 64..128 */
  double worst = 0;
  for (float v = -128; v < 128; v += 0.001f) worst = fmax(worst, fabs(npy_float(npy_half(v)) - v));
  CHECK(worst <= 1.0 / 32, "|f16(x) - x| <= 1/32 dB over -128..128 dB (%.5f)", worst);
}

static void test_number_format(void) {
  double values[] = {0.1, 1.0 / 3.0, 1e-300, 123.046875, -4.5297241740627214e-05, 0.0, 1e22};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
    char buf[40];
    format_double(values[i], buf, sizeof buf);
    CHECK(strtod(buf, NULL) == values[i], "%s reads back", buf);
  }
  char buf[40];
  format_double(0.1, buf, sizeof buf);
  CHECK(strcmp(buf, "0.1") == 0, "shortest form: %s", buf);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  fputs(text, f);
  fclose(f);
}

static void test_table_reader(void) {
  char path[600], err[700];
  table_t t;
  snprintf(path, sizeof path, "%s/t.csv", scratch_dir());
  write_file(path, "\xEF\xBB\xBF" "a,b,label\r\n1,\"2,5\",x\r\n3,4,\"y \"\"q\"\"\"\r\n");
  CHECK(table_read(path, &t, err, sizeof err) == 0, "BOM, CRLF, quotes: %s", err);
  CHECK(t.n_cols == 3 && t.n_rows == 2, "shape %zux%zu", t.n_rows, t.n_cols);
  CHECK(table_column(&t, "a") == 0, "BOM stripped from the first name");
  CHECK(strcmp(table_cell(&t, 0, 1), "2,5") == 0 && strcmp(table_cell(&t, 1, 2), "y \"q\"") == 0,
        "quoted fields");
  table_free(&t);
  write_file(path, "a,b\n1,2\n3\n");
  CHECK(table_read(path, &t, err, sizeof err) != 0 && strstr(err, "row 3 has 1 fields"),
        "ragged row named: %s", err);
  write_file(path, "");
  CHECK(table_read(path, &t, err, sizeof err) != 0 && strstr(err, "empty"), "empty file: %s", err);
  double v;
  CHECK(parse_finite("1.5e3", &v) == 0 && v == 1500.0, "number");
  CHECK(parse_finite("nan", &v) != 0 && parse_finite("inf", &v) != 0 && parse_finite("", &v) != 0 &&
            parse_finite("1.2x", &v) != 0,
        "non-finite, empty and junk cells refused");
}

int main(void) {
  RUN(test_median_matches_sort);
  RUN(test_reflect_index);
  RUN(test_stft_roundtrip);
  RUN(test_mel_filterbank);
  RUN(test_dct_orthonormal);
  RUN(test_chroma_filterbank);
  RUN(test_tuning_estimate);
  RUN(test_npy_header);
  RUN(test_half_float);
  RUN(test_number_format);
  RUN(test_table_reader);
  return check_summary();
}
