/* genre explain: why the CNN heard what it heard, for each 3-s segment of a
 * recording: an occlusion map (a patch of 16 bands x 10 frames set to the
 * training mean, slid over the log-mel: the drop in the predicted label's
 * log-odds, and in the true label's when it is known) and a gradient x input
 * map (the log-odds' gradient times x, on the standardised log-mel), as .npy and
 * as a PNG of the log-mel with each map over it, axes in Hz and seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "cnn.h"
#include "image.h"
#include "mel.h"
#include "names.h"
#include "npy.h"
#include "outfile.h"
#include "predict.h"
#include "recording.h"
#include "schema.h"

#define PATCH_B 16 /* occlusion patch: bands */
#define PATCH_T 10 /* and frames */
#define PLANE ((size_t)MEL_BANDS * SEGMENT_FRAMES)

typedef struct segments {
  float *mel; /* [n][PLANE] */
  size_t n, cap;
} segments_t;

static int keep_segment(void *ctx, size_t k, const double *row, const float *mel) {
  segments_t *s = ctx;
  (void)k, (void)row;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    float *m = realloc(s->mel, cap * PLANE * sizeof *m);
    if (!m) return -1;
    s->mel = m, s->cap = cap;
  }
  memcpy(s->mel + s->n++ * PLANE, mel, PLANE * sizeof(float));
  return 0;
}

/* The segments' log-mels of the input: decoded as predict does, or read from an extract .npy. */
static int load_segments(const explain_args_t *a, segments_t *s, char *err, size_t errlen) {
  if (a->mel) {
    FILE *f = fopen(a->mel, "rb");
    size_t shape[NPY_MAX_DIMS];
    int nd, elem;
    if (!f) return snprintf(err, errlen, "%s: cannot open", a->mel), -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    int rc = npy_read_header_any(f, size, shape, &nd, &elem, err, errlen);
    if (!rc && (nd != 3 || shape[1] != MEL_BANDS || shape[2] != SEGMENT_FRAMES || elem != NPY_F32))
      rc = (snprintf(err, errlen, "%s: not float32 [segments, %d, %d] log-mels", a->mel, MEL_BANDS, SEGMENT_FRAMES), -1);
    if (!rc && !(s->mel = malloc((shape[0] ? shape[0] : 1) * PLANE * sizeof(float)))) rc = -1;
    if (!rc && fread(s->mel, sizeof(float), shape[0] * PLANE, f) != shape[0] * PLANE)
      rc = (snprintf(err, errlen, "%s: truncated", a->mel), -1);
    fclose(f);
    s->n = rc ? 0 : shape[0];
    return rc;
  }
  recording_t *rec = recording_new(0, 0);
  recording_info_t info;
  int rc = rec ? recording_run(rec, a->input, 1, NULL, keep_segment, s, &info, err, errlen) : RECORDING_FAILED;
  recording_free(rec);
  if (rc != RECORDING_OK) return *err ? -1 : (snprintf(err, errlen, "out of memory"), -1);
  return s->n ? 0 : (snprintf(err, errlen, "%s: shorter than a 3-s segment", a->input), -1);
}

/* The members' mean log-odds of class cls for b inputs x[b][PLANE] into lo[b]. */
static void log_odds(model_t *m, const real *x, int b, int cls, double *lo) {
  for (int i = 0; i < b; i++) lo[i] = 0;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    const real *z = net_forward(m->net, x, b, 0);
    for (int i = 0; i < b; i++) lo[i] += net_log_odds(z + (size_t)i * m->n_classes, m->n_classes, cls) / m->n_members;
  }
  model_use_member(m, 0);
}

/* Occlusion: the drop in cls's log-odds for each patch masked to 0 (the
 * training mean once standardised), spread over its cells into map[PLANE].
 * Log-odds, not the probability: a confident model's probability barely
 * moves (1.00 stays 1.00), its log-odds do. */
static int occlusion(model_t *m, const real *x, int cls, float *map) {
  int rows = MEL_BANDS / PATCH_B, cols = (SEGMENT_FRAMES + PATCH_T - 1) / PATCH_T, n = rows * cols;
  int B = m->net->max_batch;
  real *batch = malloc((size_t)B * PLANE * sizeof *batch);
  double *lo = malloc((size_t)B * sizeof *lo), base;
  if (!batch || !lo) return free(batch), free(lo), -1;
  log_odds(m, x, 1, cls, &base);
  for (int start = 0; start < n; start += B) {
    int b = n - start < B ? n - start : B;
    for (int i = 0; i < b; i++) {
      int pr = (start + i) / cols, pc = (start + i) % cols;
      real *xi = batch + (size_t)i * PLANE;
      memcpy(xi, x, PLANE * sizeof(real));
      for (int r = pr * PATCH_B; r < (pr + 1) * PATCH_B; r++)
        for (int t = pc * PATCH_T; t < (pc + 1) * PATCH_T && t < SEGMENT_FRAMES; t++) xi[(size_t)r * SEGMENT_FRAMES + t] = 0;
    }
    log_odds(m, batch, b, cls, lo);
    for (int i = 0; i < b; i++) {
      int pr = (start + i) / cols, pc = (start + i) % cols;
      for (int r = pr * PATCH_B; r < (pr + 1) * PATCH_B; r++)
        for (int t = pc * PATCH_T; t < (pc + 1) * PATCH_T && t < SEGMENT_FRAMES; t++)
          map[(size_t)r * SEGMENT_FRAMES + t] = (float)(base - lo[i]);
    }
  }
  free(batch), free(lo);
  return 0;
}

/* Gradient x input of cls's log-odds, the members' gradients averaged. */
static int grad_x_input(model_t *m, const real *x, int cls, float *map) {
  real *dx = malloc(PLANE * sizeof *dx), *sum = calloc(PLANE, sizeof *sum);
  if (!dx || !sum) return free(dx), free(sum), -1;
  for (int k = 0; k < m->n_members; k++) {
    model_use_member(m, k);
    net_input_gradient(m->net, x, cls, dx);
    for (size_t v = 0; v < PLANE; v++) sum[v] += dx[v];
  }
  model_use_member(m, 0);
  for (size_t v = 0; v < PLANE; v++) map[v] = (float)(sum[v] / m->n_members * x[v]);
  free(dx), free(sum);
  return 0;
}

/* --- the picture ---------------------------------------------------------------------- */

#define CELL 3 /* pixels per band and frame */
#define PANEL_W (SEGMENT_FRAMES * CELL)
#define PANEL_H (MEL_BANDS * CELL)

static double band_hz(int b) { /* the centre of mel band b (librosa's Slaney bands, 0 to 11025 Hz) */
  double lo = hz_to_mel(0), hi = hz_to_mel(AUDIO_SR / 2.0);
  return mel_to_hz(lo + (b + 1) * (hi - lo) / (MEL_BANDS + 1));
}

static uint32_t diverging(double v) { /* -1 blue, +1 red */
  return v >= 0 ? 0xd62728 : 0x1f5fbf;
}

/* One panel at (x0, y0): the log-mel in grey (low bands at the bottom), the
 * map over it, axes in Hz and seconds, a colour scale on the right. */
static void panel(image_t *im, int x0, int y0, const float *mel, const float *map, const char *title) {
  float lo = mel[0], hi = mel[0], top = 1e-12f;
  for (size_t v = 0; v < PLANE; v++) {
    lo = mel[v] < lo ? mel[v] : lo, hi = mel[v] > hi ? mel[v] : hi;
    top = fabsf(map[v]) > top ? fabsf(map[v]) : top;
  }
  for (int b = 0; b < MEL_BANDS; b++)
    for (int t = 0; t < SEGMENT_FRAMES; t++) {
      float v = mel[(size_t)b * SEGMENT_FRAMES + t], m = map[(size_t)b * SEGMENT_FRAMES + t];
      int g = (int)(40 + 200 * (v - lo) / (hi - lo > 0 ? hi - lo : 1));
      int x = x0 + t * CELL, y = y0 + (MEL_BANDS - 1 - b) * CELL;
      image_rect(im, x, y, CELL, CELL, (uint32_t)(g << 16 | g << 8 | g));
      for (int j = 0; j < CELL; j++)
        for (int i = 0; i < CELL; i++) image_blend(im, x + i, y + j, diverging(m), 0.8 * fabs(m) / top);
    }
  image_text(im, x0, y0 - 30, title, 0x000000, 1, 0);
  static const double hz[] = {0, 500, 1000, 2000, 4000, 8000};
  for (size_t i = 0; i < sizeof hz / sizeof *hz; i++) {
    int b = 0;
    while (b < MEL_BANDS - 1 && band_hz(b) < hz[i]) b++;
    char s[16];
    snprintf(s, sizeof s, hz[i] >= 1000 ? "%.0fk" : "%.0f", hz[i] >= 1000 ? hz[i] / 1000 : hz[i]);
    int y = y0 + (MEL_BANDS - 1 - b) * CELL + 1;
    image_rect(im, x0 - 4, y, 4, 1, 0x000000);
    image_text(im, x0 - 6, y - 3, s, 0x000000, 1, 2);
  }
  image_text(im, x0 - 6, y0 - 14, "hz", 0x000000, 1, 2);
  for (int sec = 0; sec <= 3; sec++) {
    int x = x0 + (int)(sec * AUDIO_SR / 512.0 * CELL);
    char s[8];
    snprintf(s, sizeof s, "%d", sec);
    image_rect(im, x, y0 + PANEL_H, 1, 4, 0x000000);
    image_text(im, x, y0 + PANEL_H + 7, s, 0x000000, 1, 1);
  }
  image_text(im, x0 + PANEL_W / 2, y0 + PANEL_H + 20, "seconds", 0x000000, 1, 1);
  int bx = x0 + PANEL_W + 10;
  for (int y = 0; y < PANEL_H; y++) { /* the colour scale: +top at the top, -top at the bottom */
    double v = 1 - 2.0 * y / (PANEL_H - 1);
    image_rect(im, bx, y0 + y, 10, 1, 0xffffff);
    for (int i = 0; i < 10; i++) image_blend(im, bx + i, y0 + y, diverging(v), 0.8 * fabs(v));
  }
  char s[32];
  snprintf(s, sizeof s, "+%.2g", top);
  image_text(im, bx, y0 - 10, s, 0x000000, 1, 0);
  snprintf(s, sizeof s, "-%.2g", top);
  image_text(im, bx, y0 + PANEL_H + 3, s, 0x000000, 1, 0);
  image_text(im, bx + 13, y0 + PANEL_H / 2 - 3, "0", 0x000000, 1, 0);
}

static int write_png(const char *path, const char *head, const float *mel, const float *occ, const float *gxi,
                     const char *label, char *err, size_t errlen) {
  image_t im;
  int x0 = 60, y0 = 74, gap = 110;
  if (image_new(&im, x0 + 2 * PANEL_W + gap + 70, y0 + PANEL_H + 50)) return snprintf(err, errlen, "out of memory"), -1;
  image_text(&im, x0, 14, head, 0x000000, 1, 0);
  char t1[200], t2[200];
  snprintf(t1, sizeof t1, "occlusion: drop in the log-odds of %s (nats)", label);
  snprintf(t2, sizeof t2, "gradient x input of the log-odds of %s", label);
  panel(&im, x0, y0, mel, occ, t1);
  panel(&im, x0 + PANEL_W + gap, y0, mel, gxi, t2);
  int rc = image_write_png(&im, path, err, errlen);
  image_free(&im);
  return rc;
}

/* --- the command's work ------------------------------------------------------------------ */

static int write_map(const char *dir, const char *stem, size_t k, const char *what, const float *map, char *err,
                     size_t errlen) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s.%zu.%s.npy", dir, stem, k, what);
  outfile_t o;
  size_t shape[2] = {MEL_BANDS, SEGMENT_FRAMES};
  if (outfile_open(&o, path, err, errlen)) return -1;
  npy_write_header(o.f, shape, 2);
  fwrite(map, sizeof(float), PLANE, o.f);
  return outfile_commit(&o, 0, err, errlen);
}

/* The class the recording is known to be: --label, else its folder's name when it is a class. */
static int true_class(const explain_args_t *a, const model_t *m) {
  char dir[1024] = "";
  const char *src = a->label;
  if (!src) {
    snprintf(dir, sizeof dir, "%s", a->mel ? a->mel : a->input);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    slash = strrchr(dir, '/');
    src = slash ? slash + 1 : dir;
  }
  for (int k = 0; k < m->n_classes; k++)
    if (strcmp(m->labels[k], src) == 0) return k;
  return -1;
}

/* Where the occlusion map drops most: "1.1-2.1 kHz, 0.93-1.39 s". */
static void peak_text(const float *occ, char *out, size_t len) {
  size_t at = 0;
  for (size_t v = 1; v < PLANE; v++)
    if (occ[v] > occ[at]) at = v;
  int b0 = (int)(at / SEGMENT_FRAMES) / PATCH_B * PATCH_B, t0 = (int)(at % SEGMENT_FRAMES) / PATCH_T * PATCH_T;
  snprintf(out, len, "%.0f-%.0f Hz, %.2f-%.2f s (log-odds -%.3f)", band_hz(b0), band_hz(b0 + PATCH_B - 1), t0 * 512.0 / AUDIO_SR,
           (t0 + PATCH_T) * 512.0 / AUDIO_SR, occ[at]);
}

static int explain_segment(const explain_args_t *a, model_t *m, const float *mel, size_t k, const char *stem, int truth,
                           char *err, size_t errlen) {
  int K = m->n_classes;
  real *x = malloc(PLANE * sizeof *x), p[K];
  float *occ = malloc(PLANE * sizeof *occ), *occ_t = malloc(PLANE * sizeof *occ_t), *gxi = malloc(PLANE * sizeof *gxi);
  int rc = x && occ && occ_t && gxi ? 0 : (snprintf(err, errlen, "out of memory"), -1);
  if (!rc) {
    for (size_t v = 0; v < PLANE; v++) x[v] = mel[v];
    cnn_standardise(m, x, 1);
    model_predict(m, x, 1, p);
  }
  int cls = 0;
  for (int c = 1; c < K; c++) cls = p[c] > p[cls] ? c : cls;
  if (!rc && (occlusion(m, x, cls, occ) || grad_x_input(m, x, cls, gxi) ||
              (truth >= 0 && truth != cls && occlusion(m, x, truth, occ_t))))
    rc = (snprintf(err, errlen, "out of memory"), -1);
  char head[600], peak[200], png[4400];
  snprintf(head, sizeof head, "%s, segment %zu (%zu-%zu s): %s %.2f", stem, k, 3 * k, 3 * k + 3, m->labels[cls], p[cls]);
  if (truth >= 0 && truth != cls) {
    size_t n = strlen(head);
    snprintf(head + n, sizeof head - n, " (true: %s %.2f)", m->labels[truth], p[truth]);
  }
  snprintf(png, sizeof png, "%s/%s.%zu.png", a->out, stem, k);
  if (!rc) rc = write_map(a->out, stem, k, "occlusion", occ, err, errlen) || write_map(a->out, stem, k, "gradxinput", gxi, err, errlen) ||
                (truth >= 0 && truth != cls && write_map(a->out, stem, k, "occlusion_true", occ_t, err, errlen)) ||
                write_png(png, head, mel, occ, gxi, m->labels[cls], err, errlen);
  if (!rc) peak_text(occ, peak, sizeof peak), printf("%s; the occlusion drops most at %s -> %s\n", head, peak, png);
  free(x), free(occ), free(occ_t), free(gxi);
  return rc;
}

int explain_run(const explain_args_t *a, model_t *m) {
  char err[4400];
  segments_t s = {0};
  if (load_segments(a, &s, err, sizeof err)) return free(s.mel), fprintf(stderr, "genre explain: %s\n", err), 1;
  if (a->segment >= 0 && (size_t)a->segment >= s.n) {
    fprintf(stderr, "genre explain: segment %d of %zu (0-based)\n", a->segment, s.n);
    return free(s.mel), 1;
  }
  const char *base = strrchr(a->mel ? a->mel : a->input, '/');
  char stem[512];
  snprintf(stem, sizeof stem, "%s", base ? base + 1 : a->mel ? a->mel : a->input);
  char *dot = strrchr(stem, '.');
  if (dot && dot != stem) *dot = 0;
  int rc = make_dirs(a->out, err, sizeof err) ? (fprintf(stderr, "genre explain: %s\n", err), 1) : 0, truth = true_class(a, m);
  for (size_t k = 0; !rc && k < s.n; k++)
    if ((a->segment < 0 || (size_t)a->segment == k) && explain_segment(a, m, s.mel + k * PLANE, k, stem, truth, err, sizeof err))
      rc = 1, fprintf(stderr, "genre explain: %s\n", err);
  free(s.mel);
  return rc;
}
