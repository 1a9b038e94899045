/* Feature values with known answers: pure tones, silence, click trains, and
 * invariants of the pipeline (chunking, resampling, downmix). */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "audio.h"
#include "check.h"

#define SR 22050

static analysis_t *an;

static void sine(float *x, size_t n, double hz, double amp) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * hz * i / SR));
}

static void clicks(float *x, size_t n, double bpm) {
  memset(x, 0, n * sizeof *x);
  double period = 60.0 / bpm * SR;
  for (double p = 0; p < n; p += period)
    for (int i = 0; i < 64 && (size_t)p + i < n; i++) x[(size_t)p + i] = (float)(0.8 * exp(-i / 8.0));
}

static void test_sine(void) {
  size_t n = 3 * SR;
  float *x = malloc(n * sizeof *x);
  double row[FEATURE_COUNT];
  sine(x, n, 440.0, 0.5);
  CHECK(analysis_run(an, x, n, row, NULL) == 0, "analysis runs");
  CHECK(fabs(row[F_CENTROID_MEAN] - 440.0) < 0.02 * 440, "centroid of 440 Hz: %g", row[F_CENTROID_MEAN]);
  CHECK(fabs(row[F_ROLLOFF_MEAN] - 440.0) < 25.0, "rolloff of 440 Hz: %g", row[F_ROLLOFF_MEAN]);
  CHECK(fabs(row[F_ZCR_MEAN] - 2 * 440.0 / SR) < 0.02 * 2 * 440.0 / SR, "ZCR = 2f/sr: %g",
        row[F_ZCR_MEAN]);
  CHECK(fabs(row[F_RMS_MEAN] - 0.5 / sqrt(2)) < 0.01 * 0.5 / sqrt(2), "RMS = A/sqrt 2: %g", row[F_RMS_MEAN]);
  int best = 0;
  for (int c = 1; c < CHROMA_BINS; c++)
    if (row[F_CHROMA_BIN + 2 * c] > row[F_CHROMA_BIN + 2 * best]) best = c;
  CHECK(best == 9, "440 Hz has its chroma on A (got %d)", best);
  CHECK(row[F_HARMONY_VAR] > 100 * row[F_PERCEPTR_VAR], "a steady tone is harmonic: %g vs %g",
        row[F_HARMONY_VAR], row[F_PERCEPTR_VAR]);
  /* 1 kHz: centroid moves with the frequency */
  sine(x, n, 1000.0, 0.5);
  analysis_run(an, x, n, row, NULL);
  CHECK(fabs(row[F_CENTROID_MEAN] - 1000.0) < 0.02 * 1000, "centroid of 1 kHz: %g", row[F_CENTROID_MEAN]);
  free(x);
}

static void test_silence(void) {
  size_t n = 3 * SR;
  float *x = calloc(n, sizeof *x);
  double row[FEATURE_COUNT];
  float *mel = malloc(sizeof(float) * MEL_BANDS * 130);
  analysis_run(an, x, n, row, mel);
  int nonzero = 0;
  for (int i = 0; i < FEATURE_COUNT; i++)
    if (i != F_TEMPO && i != F_MFCC && row[i] != 0.0) nonzero++;
  CHECK(nonzero == 0, "digital silence: every feature 0 but tempo and mfcc1 (%d are not)", nonzero);
  /* -100 dB everywhere: the first DCT coefficient is -100 * sqrt(128) */
  CHECK_NEAR(row[F_MFCC], -100.0 * sqrt(128.0), 1e-3, "mfcc1 of silence");
  /* no onsets: the prior alone picks the lag nearest 120 BPM */
  CHECK_NEAR(row[F_TEMPO], 60.0 * SR / (512 * 22), 1e-9, "tempo of silence");
  CHECK(mel[0] == -100.0f && mel[MEL_BANDS * 130 - 1] == -100.0f, "mel dB of silence is -100");
  free(x), free(mel);
}

static void test_click_tempo(void) {
  size_t n = 30 * SR;
  float *x = malloc(n * sizeof *x);
  double row[FEATURE_COUNT];
  double bpms[] = {90.0, 150.0};
  for (int i = 0; i < 2; i++) {
    clicks(x, n, bpms[i]);
    analysis_run(an, x, n, row, NULL);
    CHECK(fabs(row[F_TEMPO] - bpms[i]) < 0.05 * bpms[i], "tempo of clicks at %g BPM: %g", bpms[i],
          row[F_TEMPO]);
    CHECK(row[F_PERCEPTR_VAR] > 10 * row[F_HARMONY_VAR], "clicks are percussive: %g vs %g",
          row[F_PERCEPTR_VAR], row[F_HARMONY_VAR]);
  }
  free(x);
}

/* Processing a long signal in chunks gives what one pass gives. */
static void test_chunking(void) {
  size_t n = 20 * SR;
  float *x = malloc(n * sizeof *x);
  srand(3);
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(0.3 * sin(2 * M_PI * 220 * i / SR) * (1 + sin(i * 1e-4)) + 0.05 * ((double)rand() / RAND_MAX - 0.5));
  double whole[FEATURE_COUNT], chunked[FEATURE_COUNT];
  analysis_t *small = analysis_new(100); /* 100 frames a chunk: 9 chunks */
  analysis_run(an, x, n, whole, NULL);
  analysis_run(small, x, n, chunked, NULL);
  double worst = 0;
  int worst_i = 0;
  for (int i = 0; i < FEATURE_COUNT; i++) {
    double d = fabs(whole[i] - chunked[i]) / fmax(fabs(whole[i]), 1e-12);
    if (d > worst) worst = d, worst_i = i;
  }
  /* not bit-identical: the chroma GEMM is blocked differently for 100 frames
   * than for all 862, and float32 sums round differently */
  CHECK(worst < 1e-6, "chunked == whole (worst %s: relative %g)", feature_name(worst_i), worst);
  analysis_free(small);
  free(x);
}

static int write_wav(const char *path, const float *x, size_t frames, int channels, int rate, int format) {
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  if (!f) return -1;
  sf_writef_float(f, x, (sf_count_t)frames);
  return sf_close(f);
}

static void test_resample_downmix(void) {
  char path[600], err[300];
  size_t frames = 44100 * 3 + 7;
  float *x = malloc(2 * frames * sizeof *x);
  for (size_t i = 0; i < frames; i++) x[2 * i] = x[2 * i + 1] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / 44100));
  snprintf(path, sizeof path, "%s/stereo44k.wav", scratch_dir());
  write_wav(path, x, frames, 2, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  audio_buf_t buf = {0};
  CHECK(audio_load(path, &buf, err, sizeof err) == 0, "44.1 kHz stereo loads: %s", err);
  CHECK(buf.n == (frames + 1) / 2, "ceil(n * 22050 / 44100) samples: %zu", buf.n);
  double row[FEATURE_COUNT];
  analysis_run(an, buf.x, buf.n, row, NULL);
  CHECK(fabs(row[F_ZCR_MEAN] - 2000.0 / SR) < 0.02 * 2000.0 / SR, "1 kHz survives resampling: ZCR %g",
        row[F_ZCR_MEAN]);
  CHECK(fabs(row[F_RMS_MEAN] - 0.5 / sqrt(2)) < 0.01, "level survives: RMS %g", row[F_RMS_MEAN]);
  /* opposite channels cancel in the mean */
  for (size_t i = 0; i < frames; i++) x[2 * i + 1] = -x[2 * i];
  snprintf(path, sizeof path, "%s/cancel.wav", scratch_dir());
  write_wav(path, x, frames, 2, 22050, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  CHECK(audio_load(path, &buf, err, sizeof err) == 0, "float stereo loads");
  double peak = 0;
  for (size_t i = 0; i < buf.n; i++) peak = fmax(peak, fabs(buf.x[i]));
  CHECK(peak == 0.0, "mono is the mean of the channels (peak %g)", peak);
  /* NaN samples are refused with a reason */
  x[100] = NAN;
  snprintf(path, sizeof path, "%s/nan.wav", scratch_dir());
  write_wav(path, x, frames, 2, 22050, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  CHECK(audio_load(path, &buf, err, sizeof err) != 0 && strstr(err, "NaN"), "NaN refused: %s", err);
  audio_buf_free(&buf);
  free(x);
}

int main(void) {
  an = analysis_new(0);
  RUN(test_sine);
  RUN(test_silence);
  RUN(test_click_tempo);
  RUN(test_chunking);
  RUN(test_resample_downmix);
  analysis_free(an);
  return check_summary();
}
