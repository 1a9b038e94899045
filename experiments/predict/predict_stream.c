/* genre predict --stream: raw interleaved PCM on standard input, a decision
 * every hop for the window that just ended. Samples are downmixed as
 * audio_load does (float32 mean over channels), resampled to 22050 Hz with
 * soxr's streaming API (the HQ recipe extract uses), and analysed exactly as
 * extract analyses a file's 3-s segments: at --hop 3 --window 3 the lines
 * equal predict --segments on the same audio. */
#include <errno.h>
#include <math.h>
#include <soxr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "audio.h"
#include "schema.h"
#include "predict.h"
#include "progress.h"

#define READ_BYTES 65536

typedef struct stream {
  const predict_args_t *a;
  classifier_t *c;
  predict_out_t *o;
  soxr_t soxr;                    /* NULL at 22050 Hz */
  float *buf;                     /* resampled samples [base, base + n) */
  size_t n, cap, window, hop;     /* samples at 22050 Hz */
  unsigned long long base, next_end;
  float *resampled;               /* soxr's output block */
  size_t resampled_cap;
  analysis_t *an;
  double *rows, *track, *history, *sum;
  float *mel;
  real *seg;
  size_t segments;                /* per window */
  int history_n, history_at, *silent;
  size_t windows, silent_windows, voiced;
  double *compute_ms;             /* per window */
  size_t ms_cap;
  int failed;                     /* out of memory */
} stream_t;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * size);
  if (!q) return -1;
  *p = q, *cap = c;
  return 0;
}

static int stream_init(stream_t *s, const predict_args_t *a, classifier_t *c, predict_out_t *o) {
  memset(s, 0, sizeof *s);
  s->a = a, s->c = c, s->o = o;
  s->segments = (size_t)lround(a->window / 3);
  s->window = s->segments * SEGMENT_SAMPLES;
  s->hop = (size_t)lround(a->hop * AUDIO_SR);
  s->next_end = s->window;
  size_t K = (size_t)c->K, plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  s->an = analysis_new(0);
  s->rows = malloc((1 + s->segments) * FEATURE_COUNT * sizeof(double));
  s->mel = malloc(s->segments * plane * sizeof(float));
  s->seg = malloc(s->segments * K * sizeof(real));
  s->track = malloc(K * sizeof(double));
  s->sum = calloc(K, sizeof(double));
  s->history = calloc((size_t)a->smooth * K, sizeof(double));
  s->silent = calloc((size_t)a->smooth, sizeof(int));
  if (!s->an || !s->rows || !s->mel || !s->seg || !s->track || !s->sum || !s->history || !s->silent) return -1;
  if (a->rate != AUDIO_SR) {
    soxr_error_t e = NULL;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    s->soxr = soxr_create((double)a->rate, AUDIO_SR, 1, &e, &io, &q, NULL);
    if (e) return -1;
  }
  return 0;
}

static void stream_free(stream_t *s) {
  if (s->soxr) soxr_delete(s->soxr);
  analysis_free(s->an);
  free(s->buf), free(s->resampled), free(s->rows), free(s->mel), free(s->seg), free(s->track), free(s->sum);
  free(s->history), free(s->silent), free(s->compute_ms);
}

/* The mean of the last --smooth windows that were not silent; NULL if all were. */
static const double *smoothed(stream_t *s, double *out) {
  int K = s->c->K, n = 0;
  for (int k = 0; k < K; k++) out[k] = 0;
  for (int h = 0; h < s->history_n; h++) {
    if (s->silent[h]) continue;
    n++;
    for (int k = 0; k < K; k++) out[k] += s->history[(size_t)h * K + k];
  }
  for (int k = 0; k < K; k++) out[k] /= n ? n : 1;
  return n ? out : NULL;
}

static void remember(stream_t *s, const double *p) {
  int K = s->c->K, h = s->history_at;
  s->silent[h] = p == NULL;
  for (int k = 0; k < K; k++) s->history[(size_t)h * K + k] = p ? p[k] : 0;
  s->history_at = (h + 1) % s->a->smooth;
  if (s->history_n < s->a->smooth) s->history_n++;
}

/* The window x[window] that ends at s->next_end: classified (or found silent) and printed. */
static void emit(stream_t *s, const float *x) {
  double t0 = now_seconds(), energy = 0;
  size_t plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  for (size_t i = 0; i < s->window; i++) energy += (double)x[i] * x[i];
  int silent = sqrt(energy / (double)s->window) < SILENCE_RMS;
  if (!silent) {
    if (s->c->track_models && analysis_run(s->an, x, s->window, s->rows, NULL)) s->failed = 1;
    for (size_t g = 0; g < s->segments && s->c->segment_models; g++)
      if (analysis_run(s->an, x + g * SEGMENT_SAMPLES, SEGMENT_SAMPLES, s->rows + (1 + g) * FEATURE_COUNT,
                       s->c->mel_models ? s->mel + g * plane : NULL))
        s->failed = 1;
    if (s->failed || classifier_run(s->c, s->rows, s->mel, s->segments, s->seg, s->track)) {
      s->failed = 1;
      return;
    }
    for (int k = 0; k < s->c->K; k++) s->sum[k] += s->track[k];
    s->voiced++;
  }
  s->silent_windows += (size_t)silent;
  remember(s, silent ? NULL : s->track);
  double smooth[s->c->K];
  const double *sm = smoothed(s, smooth);
  int best = sm ? classifier_argmax(sm, s->c->K) : 0;
  field_t lead[] = {{"time", NULL, (double)s->next_end / AUDIO_SR}};
  field_t trail[] = {{"smooth_label", sm ? s->c->labels[best] : "silence", 0}, {"smooth_probability", NULL, sm ? sm[best] : NAN}};
  out_row(s->o, lead, 1, silent ? NULL : s->track, "silence", trail, 2);
  fflush(s->o->f);
  if (grow((void **)&s->compute_ms, &s->ms_cap, s->windows + 1, sizeof(double)) == 0)
    s->compute_ms[s->windows] = (now_seconds() - t0) * 1e3;
  s->windows++;
}

/* Appends resampled samples; emits every window they complete; drops samples
 * no later window needs. */
static void append(stream_t *s, const float *x, size_t n) {
  /* samples before the next window's start are not needed (hop > window) */
  unsigned long long start = s->next_end - s->window, end = s->base + s->n + n;
  if (s->n == 0 && s->base + n <= start) {
    s->base += n;
    return;
  }
  if (grow((void **)&s->buf, &s->cap, s->n + n, sizeof(float))) {
    s->failed = 1;
    return;
  }
  memcpy(s->buf + s->n, x, n * sizeof(float));
  s->n += n;
  while (end >= s->next_end && !s->failed) {
    emit(s, s->buf + (s->next_end - s->window - s->base));
    s->next_end += s->hop;
  }
  start = s->next_end - s->window;
  if (start > s->base) {
    size_t drop = start - s->base < s->n ? (size_t)(start - s->base) : s->n;
    memmove(s->buf, s->buf + drop, (s->n - drop) * sizeof(float));
    s->n -= drop, s->base += drop;
  }
}

/* Mono samples at the input rate: resampled when needed, then appended.
 * x == NULL flushes the resampler at the end of input. */
static void feed(stream_t *s, const float *x, size_t n) {
  if (!s->soxr) {
    if (x) append(s, x, n);
    return;
  }
  size_t want = (size_t)((double)n * AUDIO_SR / s->a->rate) + 4096;
  if (grow((void **)&s->resampled, &s->resampled_cap, want, sizeof(float))) {
    s->failed = 1;
    return;
  }
  size_t used = 0, done;
  do {
    size_t idone = 0;
    soxr_error_t e = soxr_process(s->soxr, x ? x + used : NULL, x ? n - used : 0, &idone, s->resampled,
                                  s->resampled_cap, &done);
    if (e) {
      s->failed = 1;
      return;
    }
    used += idone;
    append(s, s->resampled, done);
  } while (!s->failed && (x ? used < n || done == s->resampled_cap : done > 0));
}

/* Raw interleaved samples to float32 (s16 as libsndfile scales it). 0, or -1
 * with the reason when a sample is not audio. */
static int to_float(const predict_args_t *a, const unsigned char *raw, size_t frames, float *x, unsigned long long at,
                    char *err, size_t errlen) {
  size_t n = frames * (size_t)a->channels;
  for (size_t i = 0; i < n; i++) {
    if (a->sample_format == SAMPLE_S16) {
      x[i] = (float)(int16_t)(raw[2 * i] | raw[2 * i + 1] << 8) * (1.0f / 32768.0f);
      continue;
    }
    memcpy(&x[i], raw + 4 * i, 4);
    if (!(fabsf(x[i]) <= AUDIO_MAX_AMPLITUDE))
      return snprintf(err, errlen, "%s sample at %.3f s of input: not audio", isfinite(x[i]) ? "out-of-range" : "NaN or Inf",
                      (double)(at + i / (size_t)a->channels) / a->rate), -1;
  }
  return 0;
}

static void summary(stream_t *s, double seconds_in, double wall) {
  FILE *f = s->o->format == FORMAT_TEXT ? s->o->f : stderr;
  size_t n = s->windows < s->ms_cap ? s->windows : s->ms_cap;
  double total = 0;
  for (size_t i = 0; i < n; i++) total += s->compute_ms[i];
  for (size_t i = 1; i < n; i++) /* insertion sort: a few thousand windows */
    for (size_t j = i; j > 0 && s->compute_ms[j] < s->compute_ms[j - 1]; j--) {
      double t = s->compute_ms[j];
      s->compute_ms[j] = s->compute_ms[j - 1], s->compute_ms[j - 1] = t;
    }
  fprintf(f, "stream: %.1f s of input, %zu windows (%zu silent) in %.2f s", seconds_in, s->windows, s->silent_windows, wall);
  if (s->voiced) {
    int best = classifier_argmax(s->sum, s->c->K);
    fprintf(f, "; overall %s %.3f", s->c->labels[best], s->sum[best] / (double)s->voiced);
  }
  if (n)
    fprintf(f, "; compute per window: median %.2f ms, p99 %.2f ms; real-time factor %.0fx",
            s->compute_ms[n / 2], s->compute_ms[n - 1 - n / 100], total > 0 ? n * s->a->hop * 1e3 / total : 0);
  fputc('\n', f);
}

int predict_stream(const predict_args_t *a, classifier_t *c, predict_out_t *o) {
  stream_t s;
  int rc = 0;
  char err[300] = "";
  if (stream_init(&s, a, c, o)) {
    stream_free(&s);
    return fprintf(stderr, "genre predict: out of memory (or no resampler for %ld Hz)\n", a->rate), 1;
  }
  field_t lead[] = {{"time", NULL, 0}};
  field_t trail[] = {{"smooth_label", "", 0}, {"smooth_probability", NULL, 0}};
  out_header(o, lead, 1, trail, 2);
  size_t frame_bytes = (size_t)a->channels * (a->sample_format == SAMPLE_S16 ? 2 : 4);
  unsigned char *raw = malloc(READ_BYTES + frame_bytes);
  float *samples = malloc(((READ_BYTES + frame_bytes) / 2 + 1) * sizeof(float)); /* interleaved, as float */
  float *mono = malloc((READ_BYTES / frame_bytes + 1) * sizeof(float));
  size_t carry = 0;
  unsigned long long frames_in = 0;
  double t0 = now_seconds();
  while (raw && samples && mono && !s.failed) {
    ssize_t got = read(STDIN_FILENO, raw + carry, READ_BYTES);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      snprintf(err, sizeof err, "reading standard input: %s", strerror(errno)), rc = 1;
      break;
    }
    if (got == 0) break;
    size_t have = carry + (size_t)got, frames = have / frame_bytes;
    if (to_float(a, raw, frames, samples, frames_in, err, sizeof err)) {
      rc = 1;
      break;
    }
    audio_downmix(samples, frames, (size_t)a->channels, mono);
    feed(&s, mono, frames);
    frames_in += frames;
    carry = have - frames * frame_bytes;
    memmove(raw, raw + frames * frame_bytes, carry);
  }
  if (!raw || !samples || !mono) s.failed = 1;
  if (rc == 0 && !s.failed) feed(&s, NULL, 0);
  if (rc == 0 && carry) {
    fprintf(stderr, "genre predict: standard input ended inside a sample frame: %zu trailing byte%s ignored\n", carry,
            carry == 1 ? "" : "s");
    rc = 2;
  }
  if (s.failed) snprintf(err, sizeof err, "out of memory"), rc = 1;
  if (*err) fprintf(stderr, "genre predict: %s\n", err);
  if (!s.failed) summary(&s, (double)frames_in / a->rate, now_seconds() - t0);
  free(raw), free(samples), free(mono);
  stream_free(&s);
  return rc;
}
