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

#include "ann_explain.h"
#include "infile.h"
#include "audio.h"
#include "cnn.h"
#include "cnn_explain.h"
#include "image.h"
#include "mel.h"
#include "names.h"
#include "npy.h"
#include "outfile.h"
#include "predict.h"
#include "recording.h"
#include "scaler.h"
#include "schema.h"

#define PATCH_B CNN_PATCH_B
#define PATCH_T CNN_PATCH_T
#define PLANE CNN_PLANE

/* A CNN's segments are explained as they are decoded (one log-mel held at a
 * time, whatever the recording's length); an ANN's rows are kept (a few
 * hundred bytes a segment) and explained at the end. */
typedef struct segments {
  double *row; /* [n][FEATURE_COUNT] (an ANN's) */
  size_t n, cap;
  const explain_args_t *a;
  model_t *m;  /* a CNN's: explained here */
  const char *stem;
  int truth;
  char *err;
  size_t errlen;
} segments_t;

static int explain_segment(const explain_args_t *a, model_t *m, const float *mel, size_t k, const char *stem, int truth,
                           char *err, size_t errlen);

static int keep_segment(void *ctx, size_t k, const double *row, const float *mel) {
  segments_t *s = ctx;
  if (s->m) {
    s->n++;
    if (s->a->segment >= 0 && (size_t)s->a->segment != k) return 0;
    return explain_segment(s->a, s->m, mel, k, s->stem, s->truth, s->err, s->errlen);
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    double *r = realloc(s->row, cap * FEATURE_COUNT * sizeof *r);
    if (!r) return -1;
    s->row = r, s->cap = cap;
  }
  memcpy(s->row + s->n * FEATURE_COUNT, row, FEATURE_COUNT * sizeof(double));
  s->n++;
  return 0;
}

/* An extract .npy's segments, one plane at a time, through keep_segment. 0, or -1 with the reason. */
static int npy_segments(const char *path, segments_t *s, char *err, size_t errlen) {
  const char *why;
  FILE *f = fopen_regular(path, &why);
  size_t shape[NPY_MAX_DIMS];
  int nd, elem;
  if (!f) return snprintf(err, errlen, "%s: %s", path, why), -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  int rc = npy_read_header_any(f, size, shape, &nd, &elem, err, errlen);
  if (!rc && (nd != 3 || shape[1] != MEL_BANDS || shape[2] != SEGMENT_FRAMES || elem != NPY_F32))
    rc = (snprintf(err, errlen, "%s: not float32 [segments, %d, %d] log-mels", path, MEL_BANDS, SEGMENT_FRAMES), -1);
  float *plane = rc ? NULL : malloc(PLANE * sizeof *plane);
  if (!rc && !plane) rc = (snprintf(err, errlen, "out of memory"), -1);
  for (size_t k = 0; !rc && k < shape[0]; k++) {
    if (fread(plane, sizeof(float), PLANE, f) != PLANE) rc = (snprintf(err, errlen, "%s: truncated", path), -1);
    else if (keep_segment(s, k, NULL, plane)) rc = -1;
  }
  free(plane);
  fclose(f);
  return rc;
}

/* The segments' log-mels of the input: decoded as predict does, or read from an extract .npy. */
static int load_segments(const explain_args_t *a, int want_mel, segments_t *s, char *err, size_t errlen) {
  if (a->mel) return npy_segments(a->mel, s, err, errlen);
  recording_t *rec = recording_new(0, 0);
  recording_info_t info;
  int rc = rec ? recording_run(rec, a->input, want_mel, NULL, keep_segment, s, &info, err, errlen) : RECORDING_FAILED;
  recording_free(rec);
  if (rc != RECORDING_OK) return *err || (s->err && *s->err) ? -1 : (snprintf(err, errlen, "out of memory"), -1);
  return s->n ? 0 : (snprintf(err, errlen, "%s: shorter than a 3-s segment", a->input), -1);
}

/* --- the picture ---------------------------------------------------------------------- */

#define CELL 3 /* pixels per band and frame */
#define PANEL_W (SEGMENT_FRAMES * CELL)
#define PANEL_H (MEL_BANDS * CELL)

static int write_png(const char *path, const char *head, const float *mel, const float *occ, const float *gxi,
                     const char *label, char *err, size_t errlen) {
  image_t im;
  int x0 = 60, y0 = 74, gap = 110;
  if (image_new(&im, x0 + 2 * PANEL_W + gap + 70, y0 + PANEL_H + 50)) return snprintf(err, errlen, "out of memory"), -1;
  image_text(&im, x0, 14, head, 0x000000, 1, 0);
  char t1[200], t2[200];
  snprintf(t1, sizeof t1, "occlusion: drop in the log-odds of %s (nats)", label);
  snprintf(t2, sizeof t2, "gradient x input of the log-odds of %s", label);
  cnn_map_panel(&im, x0, y0, CELL, mel, occ, t1);
  cnn_map_panel(&im, x0 + PANEL_W + gap, y0, CELL, mel, gxi, t2);
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
  snprintf(out, len, "%.0f-%.0f Hz, %.2f-%.2f s (the log-odds drop %.3f)", cnn_band_hz(b0), cnn_band_hz(b0 + PATCH_B - 1), t0 * 512.0 / AUDIO_SR,
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
  if (!rc && (cnn_occlusion(m, x, cls, occ) || cnn_grad_x_input(m, x, cls, gxi) ||
              (truth >= 0 && truth != cls && cnn_occlusion(m, x, truth, occ_t))))
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

/* --- an ANN: the features that moved each segment ------------------------------------------ */

/* Segment k's row: attributions towards the ANN's label, every feature ranked, into the CSV and a line on stdout. */
static int explain_row(model_t *m, const int *col, const double *row, size_t k, const char *stem, FILE *csv) {
  size_t F = m->n_features;
  int K = m->n_classes, *order = malloc(F * sizeof *order);
  real *x = malloc(F * sizeof *x), *z = malloc(F * sizeof *z), *attr = malloc(F * sizeof *attr), p[K];
  int rc = order && x && z && attr ? 0 : -1;
  for (size_t f = 0; !rc && f < F; f++) x[f] = (real)row[col[f]];
  if (!rc) memcpy(z, x, F * sizeof *z), scaler_apply(z, 1, F, m->shift, m->scale), rc = model_predict(m, z, 1, p);
  int cls = 0;
  for (int c = 1; c < K; c++) cls = p[c] > p[cls] ? c : cls;
  if (!rc) rc = ann_attribution(m, x, cls, attr);
  if (!rc) {
    ann_top_features(attr, F, (int)F, order);
    printf("%s, segment %zu (%zu-%zu s): %s %.2f; pulled most by", stem, k, 3 * k, 3 * k + 3, m->labels[cls], p[cls]);
    for (size_t r = 0; r < F; r++) {
      size_t f = (size_t)order[r];
      if (r < 3) printf("%s %s (%+.3f)", r ? "," : "", m->feature_names[f], attr[f]);
      csv_put_integer(csv, (long long)k, 1), csv_put_integer(csv, (long long)(3 * k), 0);
      csv_put_integer(csv, (long long)(3 * k + 3), 0), csv_put_text(csv, m->labels[cls], 0);
      csv_put_number(csv, p[cls], 0), csv_put_integer(csv, (long long)r + 1, 0);
      csv_put_text(csv, m->feature_names[f], 0), csv_put_number(csv, x[f], 0);
      csv_put_number(csv, m->shift[f], 0), csv_put_number(csv, attr[f], 0), csv_end_row(csv);
    }
    printf("\n");
  }
  free(order), free(x), free(z), free(attr);
  return rc;
}

/* genre explain with an ANN: DIR/STEM.features.csv, every segment's features ranked by |attribution|. */
static int explain_ann(const explain_args_t *a, model_t *m, const segments_t *s, const char *stem) {
  char err[4400], path[4400];
  int *col = malloc(m->n_features * sizeof *col), rc = col ? 0 : 1;
  for (size_t f = 0; !rc && f < m->n_features; f++) {
    col[f] = -1;
    for (int c = 0; c < FEATURE_COUNT; c++)
      if (strcmp(feature_name(c), m->feature_names[f]) == 0) col[f] = c;
    if (col[f] < 0) rc = 1, fprintf(stderr, "genre explain: the model's feature '%s' is not one genre extract computes\n", m->feature_names[f]);
  }
  snprintf(path, sizeof path, "%s/%s.features.csv", a->out, stem);
  outfile_t o;
  if (!rc && outfile_open(&o, path, err, sizeof err)) rc = 1, fprintf(stderr, "genre explain: %s\n", err);
  if (rc) return free(col), rc;
  fputs("segment,start,end,label,p,rank,feature,value,training_mean,attribution\n", o.f);
  for (size_t k = 0; !rc && k < s->n; k++)
    if ((a->segment < 0 || (size_t)a->segment == k) && explain_row(m, col, s->row + k * FEATURE_COUNT, k, stem, o.f))
      rc = 1, fprintf(stderr, "genre explain: out of memory\n");
  if (rc) outfile_abort(&o);
  else if (outfile_commit(&o, 0, err, sizeof err)) rc = 1, fprintf(stderr, "genre explain: %s\n", err);
  else printf("-> %s\n", path);
  free(col);
  return rc;
}

int explain_run(const explain_args_t *a, model_t *m) {
  char err[4400] = "", seg_err[4400] = "";
  int ann = m->kind == MODEL_ANN;
  if (ann && a->mel) return fprintf(stderr, "genre explain: an ANN explains an audio FILE (its features), not --mel\n"), 1;
  const char *base = strrchr(a->mel ? a->mel : a->input, '/');
  char stem[512];
  snprintf(stem, sizeof stem, "%s", base ? base + 1 : a->mel ? a->mel : a->input);
  char *dot = strrchr(stem, '.');
  if (dot && dot != stem) *dot = 0;
  if (make_dirs(a->out, err, sizeof err)) return fprintf(stderr, "genre explain: %s\n", err), 1;
  segments_t s = {.a = a, .m = ann ? NULL : m, .stem = stem, .truth = true_class(a, m), .err = seg_err, .errlen = sizeof seg_err};
  int rc = load_segments(a, !ann, &s, err, sizeof err) ? 1 : 0;
  if (rc) fprintf(stderr, "genre explain: %s\n", *seg_err ? seg_err : err);
  if (!rc && a->segment >= 0 && (size_t)a->segment >= s.n)
    rc = 1, fprintf(stderr, "genre explain: segment %d of %zu (0-based)\n", a->segment, s.n);
  if (!rc && ann) rc = explain_ann(a, m, &s, stem);
  free(s.row);
  return rc;
}
