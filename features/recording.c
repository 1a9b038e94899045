#include "recording.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "audio.h"
#include "schema.h"
#include "stft.h"
#include "tempo.h"

/* Resampled samples may be cut at the very end (librosa's length rule): a
 * segment or window is analysed once this many samples past its end are in,
 * or at the end of the input. */
#define MARGIN 4096
/* A window is analysed with this much of the signal on each side, so that its
 * frames see what they see in the whole recording: HPSS's 15-frame medians
 * and the istft around them, the tempogram's 172 frames either way. */
#define CONTEXT_FRAMES 192

struct recording {
  analysis_t *an;
  size_t exact, window;     /* samples */
  float *sig;               /* samples [base, base + n) */
  size_t n, cap;
  size_t base;
  double row[FEATURE_COUNT];
  float *mel;               /* [MEL_BANDS][SEGMENT_FRAMES] */
  window_pool_t pool;
  analysis_levels_t levels; /* the whole recording's, for the windows' dB floors */
  tuning_hist_t *tuning;    /* its pitch peaks, for chroma's tuning */
};

recording_t *recording_new(size_t exact_seconds, size_t window_seconds) {
  recording_t *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->exact = (exact_seconds ? exact_seconds : RECORDING_EXACT_SECONDS) * (size_t)AUDIO_SR;
  /* windows start on the frame grid of the whole recording (hop 512) */
  r->window = (window_seconds ? window_seconds : RECORDING_WINDOW_SECONDS) * (size_t)AUDIO_SR;
  r->window += STFT_HOP - r->window % STFT_HOP;
  r->an = analysis_new(0);
  r->mel = malloc(sizeof(float) * MEL_BANDS * SEGMENT_FRAMES);
  r->tuning = malloc(sizeof *r->tuning);
  if (!r->an || !r->mel || !r->tuning || window_pool_init(&r->pool)) {
    recording_free(r);
    return NULL;
  }
  return r;
}

void recording_free(recording_t *r) {
  if (!r) return;
  analysis_free(r->an);
  window_pool_free(&r->pool);
  free(r->sig), free(r->mel), free(r->tuning), free(r);
}

/* --- pooling windows -------------------------------------------------------- */

int window_pool_init(window_pool_t *p) {
  memset(p, 0, sizeof *p);
  p->ac_sum = calloc(TEMPO_WIN, sizeof(double));
  return p->ac_sum ? 0 : -1;
}

void window_pool_free(window_pool_t *p) {
  free(p->ac_sum);
  p->ac_sum = NULL;
}

static void pool_reset(window_pool_t *p) {
  double *ac = p->ac_sum;
  memset(p, 0, sizeof *p);
  p->ac_sum = ac;
  memset(ac, 0, TEMPO_WIN * sizeof(double));
}

void window_pool_add(window_pool_t *p, const double *row, size_t samples, size_t frames_n, const double *ac_sum) {
  double frames = (double)frames_n;
  for (int c = 0; c + 1 < FEATURE_COUNT; c += 2) {
    if (c == F_TEMPO) c++; /* the one column that is not a (mean, var) pair */
    /* the harmonic and percussive waveforms' statistics are over samples, the rest over frames */
    int over_samples = c == F_HARMONY_MEAN || c == F_PERCEPTR_MEAN;
    double w = over_samples ? (double)samples : frames, wa = p->weight[c], total = wa + w;
    double delta = row[c] - p->mean[c];
    p->mean[c] += delta * w / total;                                 /* Chan et al.'s pairwise update */
    p->m2[c] += row[c + 1] * w + delta * delta * wa * w / total;     /* var * weight = the window's M2 */
    p->weight[c] = total;
  }
  for (int k = 0; k < TEMPO_WIN; k++) p->ac_sum[k] += ac_sum[k];
  p->ac_frames += frames_n;
}

void window_pool_finish(const window_pool_t *p, const struct analysis *a, double *row) {
  for (int c = 0; c + 1 < FEATURE_COUNT; c += 2) {
    if (c == F_TEMPO) c++;
    row[c] = p->mean[c];
    row[c + 1] = p->weight[c] > 0 ? p->m2[c] / p->weight[c] : 0.0;
  }
  row[F_TEMPO] = analysis_tempo_from(a, p->ac_sum, p->ac_frames);
}

/* --- the stream ------------------------------------------------------------- */

typedef struct run {
  recording_t *r;
  int want_mel;
  double *whole;
  segment_fn on_segment;
  void *ctx;
  size_t total;      /* samples decoded */
  size_t next_seg;   /* next segment to analyse */
  size_t next_win;   /* next window to analyse (windowed mode) */
  int windowed, eof;
  int pooling;       /* the second pass over a long recording: windows analysed and pooled */
  double missing;    /* seconds the header claimed beyond the data */
} run_t;

static int append(recording_t *r, const float *x, size_t n) {
  if (r->n + n > r->cap) {
    /* the most it holds, reserved at once: the exact phase (or a window and
     * its context) and a decoded block. Untouched pages cost no memory, and
     * no later growth copies 50 MB around. */
    size_t plan = (r->exact > r->window ? r->exact : r->window) + 2 * CONTEXT_FRAMES * STFT_HOP + MARGIN + (1 << 20);
    size_t cap = r->cap ? 2 * r->cap : plan;
    while (cap < r->n + n) cap *= 2;
    float *s = realloc(r->sig, cap * sizeof *s);
    if (!s) return -1;
    r->sig = s, r->cap = cap;
  }
  memcpy(r->sig + r->n, x, n * sizeof *x);
  r->n += n;
  return 0;
}

/* Samples [from, from + len) of the recording (they are in the buffer). */
static const float *at(const recording_t *r, size_t from) { return r->sig + (from - r->base); }

static int ready(const run_t *u, size_t end) { return u->eof ? end <= u->total : end + MARGIN <= u->total; }

/* Every segment and window whose samples are all in; then drops what no later one needs. */
static int analyse_ready(run_t *u) {
  recording_t *r = u->r;
  for (; ready(u, (u->next_seg + 1) * SEGMENT_SAMPLES); u->next_seg++) {
    size_t from = u->next_seg * SEGMENT_SAMPLES;
    if (!u->on_segment) continue; /* counted, not analysed */
    if (analysis_run(r->an, at(r, from), SEGMENT_SAMPLES, r->row, u->want_mel ? r->mel : NULL)) return -1;
    if (u->on_segment(u->ctx, u->next_seg, r->row, u->want_mel ? r->mel : NULL)) return -1;
  }
  if (u->whole && !u->windowed && u->total > r->exact + MARGIN) { /* a long recording: its levels from here on */
    u->windowed = 1;
    pool_reset(&r->pool);
    analysis_levels_init(&r->levels);
    memset(r->tuning, 0, sizeof *r->tuning);
  }
  for (; u->whole && u->windowed; u->next_win++) {
    size_t core = u->next_win * r->window, core_end = core + r->window, context = CONTEXT_FRAMES * STFT_HOP;
    if (core >= u->total && u->eof) break;
    if (!ready(u, core_end + context)) {
      if (!u->eof) break;
      if (core_end > u->total) core_end = u->total; /* the last window: what remains */
    }
    size_t from = core > context ? core - context : 0, end = core_end + context < u->total ? core_end + context : u->total;
    size_t f0 = (core - from) / STFT_HOP, f1 = core_end == u->total ? 0 : (core_end - from) / STFT_HOP;
    if (!u->pooling) { /* first pass: only the levels the floors hang from */
      if (analysis_levels(r->an, at(r, from), end - from, f0, f1, &r->levels, r->tuning)) return -1;
      continue;
    }
    size_t frames;
    if (analysis_run_range(r->an, at(r, from), end - from, f0, f1, r->row, NULL)) return -1;
    const double *ac = analysis_tempogram(r->an, &frames);
    window_pool_add(&r->pool, r->row, core_end - core, frames, ac);
  }
  /* keep what the next segment (and the next window, or the whole signal) needs */
  size_t keep = u->next_seg * SEGMENT_SAMPLES;
  if (u->whole && !u->windowed) keep = 0;
  size_t win_from = u->next_win * r->window, context = CONTEXT_FRAMES * STFT_HOP;
  win_from = win_from > context ? win_from - context : 0;
  if (u->whole && u->windowed && win_from < keep) keep = win_from;
  if (keep > r->base) {
    size_t drop = keep - r->base < r->n ? keep - r->base : r->n;
    memmove(r->sig, r->sig + drop, (r->n - drop) * sizeof *r->sig);
    r->n -= drop, r->base += drop;
  }
  return 0;
}

/* What is analysed: a file, or interleaved samples in memory. */
typedef struct source {
  const char *path; /* NULL: x */
  const float *x;
  size_t frames;
  int channels, rate;
} source_t;

/* Decodes the source and analyses what is ready as samples arrive. 0, or a RECORDING_* error. */
static int stream_file(run_t *u, const source_t *src, char *err, size_t errlen) {
  recording_t *r = u->r;
  r->n = r->base = 0;
  audio_reader_t *in = src->path ? audio_open(src->path, err, errlen)
                                 : audio_open_memory(src->x, src->frames, src->channels, src->rate, err, errlen);
  if (!in) return RECORDING_BAD_INPUT;
  int rc = RECORDING_OK;
  while (rc == RECORDING_OK && !u->eof) {
    const float *x;
    long got = audio_read(in, &x, err, errlen);
    if (got < 0) rc = RECORDING_BAD_INPUT;
    else if (got == 0) u->eof = 1;
    else if (append(r, x, (size_t)got)) rc = RECORDING_FAILED;
    if (got >= 0) u->total += (size_t)got;
    if (rc == RECORDING_OK && analyse_ready(u)) rc = RECORDING_FAILED;
  }
  if (rc == RECORDING_OK) u->missing = audio_missing_seconds(in);
  audio_close(in);
  return rc;
}

/* A long recording's second pass: every window analysed with the whole
 * recording's dB floors, and pooled. */
static int pool_windows(recording_t *r, const source_t *src, double *whole, char *err, size_t errlen) {
  run_t u = {.r = r, .whole = whole, .windowed = 1, .pooling = 1};
  analysis_set_levels(r->an, &r->levels, tuning_hist_bin(r->tuning));
  int rc = stream_file(&u, src, err, errlen);
  analysis_set_levels(r->an, NULL, -1);
  if (rc == RECORDING_OK) window_pool_finish(&r->pool, r->an, whole);
  return rc;
}

static int run_source(recording_t *r, const source_t *src, int want_mel, double *whole, segment_fn on_segment,
                      void *ctx, recording_info_t *info, char *err, size_t errlen) {
  memset(info, 0, sizeof *info);
  if (errlen) err[0] = '\0';
  run_t u = {.r = r, .want_mel = want_mel, .whole = whole, .on_segment = on_segment, .ctx = ctx};
  int rc = stream_file(&u, src, err, errlen);
  if (rc == RECORDING_OK) {
    info->samples = u.total, info->segments = u.next_seg, info->windowed = u.windowed, info->missing = u.missing;
    if (whole && u.windowed) rc = pool_windows(r, src, whole, err, errlen);
    else if (whole && analysis_run(r->an, r->sig, u.total, whole, NULL)) rc = RECORDING_FAILED;
  }
  if (rc == RECORDING_FAILED && !*err) snprintf(err, errlen, "out of memory");
  return rc;
}

int recording_run(recording_t *r, const char *path, int want_mel, double *whole, segment_fn on_segment, void *ctx,
                  recording_info_t *info, char *err, size_t errlen) {
  source_t src = {.path = path};
  return run_source(r, &src, want_mel, whole, on_segment, ctx, info, err, errlen);
}

int recording_run_memory(recording_t *r, const float *x, size_t frames, int channels, int rate, int want_mel,
                         double *whole, segment_fn on_segment, void *ctx, recording_info_t *info, char *err,
                         size_t errlen) {
  source_t src = {.x = x, .frames = frames, .channels = channels, .rate = rate};
  return run_source(r, &src, want_mel, whole, on_segment, ctx, info, err, errlen);
}
