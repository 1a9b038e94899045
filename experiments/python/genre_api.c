#include "genre_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dataset.h"
#include "inputs.h"
#include "mel_dataset.h"
#include "model_kind.h"
#include "predict.h"
#include "progress.h"
#include "recording.h"
#include "schema.h"

void gapi_free(void *p) { free(p); }
void gapi_stop(int on) { genre_stop = on; }

int gapi_feature_count(void) { return FEATURE_COUNT; }
const char *gapi_feature_name(int c) { return c >= 0 && c < FEATURE_COUNT ? feature_name(c) : NULL; }
int gapi_mel_bands(void) { return MEL_BANDS; }
int gapi_segment_frames(void) { return SEGMENT_FRAMES; }
long gapi_segment_samples(void) { return SEGMENT_SAMPLES; }

/* --- extraction ------------------------------------------------------------------ */

struct gapi_extractor {
  recording_t *rec;
  double *rows;   /* [cap][FEATURE_COUNT] */
  float *mel;     /* [cap][MEL_BANDS][SEGMENT_FRAMES] */
  size_t n, cap;
  double whole[FEATURE_COUNT];
  const volatile int *cancel;
};

gapi_extractor_t *gapi_extractor_new(void) {
  gapi_extractor_t *x = calloc(1, sizeof *x);
  if (x && !(x->rec = recording_new(0, 0))) free(x), x = NULL;
  return x;
}

void gapi_extractor_free(gapi_extractor_t *x) {
  if (!x) return;
  recording_free(x->rec);
  free(x->rows), free(x->mel), free(x);
}

/* A segment's row and log-mel kept (the buffers double as they fill). */
static int keep_segment(void *ctx, size_t k, const double *row, const float *mel) {
  gapi_extractor_t *x = ctx;
  size_t plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  (void)k;
  if (x->cancel && *x->cancel) return -1;
  if (x->n == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 16;
    double *r = realloc(x->rows, cap * FEATURE_COUNT * sizeof *r);
    if (r) x->rows = r;
    float *m = realloc(x->mel, cap * plane * sizeof *m);
    if (m) x->mel = m;
    if (!r || !m) return -1;
    x->cap = cap;
  }
  memcpy(x->rows + x->n * FEATURE_COUNT, row, FEATURE_COUNT * sizeof *row);
  memcpy(x->mel + x->n * plane, mel, plane * sizeof *mel);
  x->n++;
  return 0;
}

int gapi_extract(gapi_extractor_t *x, const char *path, const float *samples, size_t frames, int channels, int rate,
                 const volatile int *cancel, gapi_extraction_t *out, char *err, size_t errlen) {
  recording_info_t info;
  x->n = 0, x->cancel = cancel;
  int rc = path ? recording_run(x->rec, path, 1, x->whole, keep_segment, x, &info, err, errlen)
                : recording_run_memory(x->rec, samples, frames, channels, rate, 1, x->whole, keep_segment, x, &info,
                                       err, errlen);
  if (rc == RECORDING_FAILED && cancel && *cancel) snprintf(err, errlen, "interrupted");
  *out = (gapi_extraction_t){.segments = info.segments, .samples = info.samples, .missing = info.missing,
                             .rows = x->rows, .whole = x->whole, .mel = x->mel};
  return rc == RECORDING_OK ? 0 : rc == RECORDING_BAD_INPUT ? 1 : -1;
}

gapi_inputs_t *gapi_inputs(char **args, int n_args, const char *labels_csv, char *err, size_t errlen) {
  input_list_t *l = calloc(1, sizeof *l);
  size_t absent = 0;
  if (errlen) err[0] = '\0';
  if (!l) return snprintf(err, errlen, "out of memory"), NULL;
  if (inputs_list(l, args, n_args, 1, "extract") || (labels_csv && inputs_relabel(l, labels_csv, &absent, err, errlen)))
    return inputs_free(l), free(l), NULL;
  return l;
}

size_t gapi_inputs_count(const gapi_inputs_t *l) { return l->n; }
size_t gapi_inputs_skipped(const gapi_inputs_t *l) { return l->skipped; }

const char *gapi_input(const gapi_inputs_t *l, size_t i, int field) {
  const input_t *in = &l->items[i];
  const char *f[] = {in->path, in->name, in->stem, in->label, in->error, in->file_stem};
  return field >= 0 && field < 6 ? f[field] : NULL;
}

void gapi_inputs_free(gapi_inputs_t *l) {
  if (l) inputs_free(l);
  free(l);
}

/* --- models ----------------------------------------------------------------------- */

/* A model file as genre.load opens it: a classifier whose feature rows come in
 * the model's own column order (classifier_open_own). */
struct gapi_model {
  classifier_t c;
};

gapi_model_t *gapi_model_open(const char *path, const char *labels, int threads, char *err, size_t errlen) {
  gapi_model_t *h = calloc(1, sizeof *h);
  if (!h) return snprintf(err, errlen, "out of memory"), NULL;
  if (classifier_open_own(&h->c, path, labels, threads, err, errlen)) return free(h), NULL;
  return h;
}

void gapi_model_free(gapi_model_t *h) {
  if (!h) return;
  classifier_free(&h->c);
  free(h);
}

int gapi_model_count(const gapi_model_t *h) { return h->c.n_models; }
int gapi_model_classes(const gapi_model_t *h) { return h->c.K; }
const char *gapi_model_label(const gapi_model_t *h, int k) { return h->c.labels[k]; }
size_t gapi_model_features(const gapi_model_t *h, int i) { return h->c.model[i].n_features; }
const char *gapi_model_feature(const gapi_model_t *h, int i, size_t f) { return h->c.model[i].feature_names[f]; }

void gapi_model_shape(const gapi_model_t *h, int i, int *c, int *hgt, int *w) {
  *c = h->c.model[i].in_c, *hgt = h->c.model[i].in_h, *w = h->c.model[i].in_w;
}

const char *gapi_model_text(const gapi_model_t *h, int i, const char *what) {
  static const char *const kinds[] = {"", "ann", "cnn", "knn", "svm", "logreg", "gbdt", "rf"};
  const model_t *m = &h->c.model[i];
  if (strcmp(what, "kind") == 0) return m->kind >= MODEL_ANN && m->kind <= MODEL_RF ? kinds[m->kind] : "";
  if (strcmp(what, "arch") == 0) return m->arch;
  if (strcmp(what, "unit") == 0)
    return m->unit == MODEL_UNIT_SEGMENT ? "segment" : m->unit == MODEL_UNIT_TRACK ? "track" : "unknown";
  if (strcmp(what, "about") == 0) return m->about ? m->about : "";
  return NULL;
}

/* Model 0's inputs: spectrograms for a CNN, feature rows otherwise. 0, or -1 with the reason. */
static int inputs_fit(const gapi_model_t *h, const float *mel, char *err, size_t errlen) {
  if ((h->c.model[0].kind == MODEL_CNN) == (mel != NULL)) return 0;
  return snprintf(err, errlen, "%s", mel ? "this model takes feature rows, not spectrograms"
                                         : "this model takes log-mel spectrograms, not feature rows"), -1;
}

int gapi_model_proba(gapi_model_t *h, const double *rows, const float *mel, size_t n, double *out, char *err,
                     size_t errlen) {
  real *p = malloc(n * (size_t)h->c.K * sizeof *p);
  if (inputs_fit(h, mel, err, errlen)) return free(p), -1;
  if (!p || classifier_model_probs(&h->c, 0, rows, mel, n, p)) return free(p), snprintf(err, errlen, "out of memory"), -1;
  for (size_t v = 0; v < n * (size_t)h->c.K; v++) out[v] = p[v];
  free(p);
  return 0;
}

int gapi_model_embed_layer(const gapi_model_t *h, int layer) { return classifier_embed_layer(&h->c, layer); }

size_t gapi_model_embed_dim(const gapi_model_t *h, int layer) {
  return layer < 0 || !h->c.model[0].net ? 0 : classifier_embed_dim(&h->c, layer);
}

int gapi_model_embed(gapi_model_t *h, int layer, const double *rows, const float *mel, size_t n, float *out,
                     char *err, size_t errlen) {
  const net_t *net = h->c.model[0].net;
  if (!net || layer < 0 || layer >= net->n_layers) return snprintf(err, errlen, "no such layer"), -1;
  if (inputs_fit(h, mel, err, errlen)) return -1;
  return classifier_embed(&h->c, layer, rows, mel, n, out);
}

/* --- commands ----------------------------------------------------------------------- */

int gapi_predict_files(char **models, int n_models, char **inputs, int n_inputs, int segments, int threads,
                       const char *labels, char **csv) {
  predict_args_t a = {.top = 3, .threads = threads, .segments = segments, .format = FORMAT_CSV, .labels = labels,
                      .inputs = inputs, .n_inputs = n_inputs, .n_models = n_models};
  char err[1500];
  size_t len;
  *csv = NULL;
  if (n_models < 1 || n_models > CLASSIFIER_MAX_MODELS)
    return fprintf(stderr, "genre predict: from 1 to %d models\n", CLASSIFIER_MAX_MODELS), 1;
  for (int i = 0; i < n_models; i++) a.models[i] = models[i];
  classifier_t c;
  if (classifier_load(&c, a.models, a.n_models, labels, 1, err, sizeof err))
    return fprintf(stderr, "genre predict: %s\n", err), 1;
  FILE *f = open_memstream(csv, &len);
  if (!f) return classifier_free(&c), fprintf(stderr, "genre predict: out of memory\n"), 1;
  predict_out_t out = {.f = f, .format = FORMAT_CSV, .top = a.top, .K = c.K, .labels = c.labels};
  int rc = predict_files(&a, &c, &out);
  if (fclose(f)) rc = 1;
  classifier_free(&c);
  return rc;
}

int gapi_train_features(int argc, char **argv, const double *x, size_t n, size_t d, char **names, char **labels,
                        char **rows, char *err, size_t errlen) {
  const model_kind_t *k = argc >= 2 ? model_kind(argv[1]) : NULL;
  if (!k || strcmp(k->data_option, "features") != 0) return snprintf(err, errlen, "not a kind of feature rows"), 1;
  dataset_t ds;
  if (dataset_from_memory("the rows given", x, n, d, names, labels, rows, &ds, err, errlen)) return 1;
  kind_data_t view = k->view(&ds);
  int rc = train_given(argc, argv, &view);
  dataset_free(&ds);
  return rc;
}

int gapi_train_mel(int argc, char **argv, const float *x, size_t n, char **labels, char **tracks, char *err,
                   size_t errlen) {
  const model_kind_t *k = argc >= 2 ? model_kind(argv[1]) : NULL;
  if (!k || strcmp(k->data_option, "mel") != 0) return snprintf(err, errlen, "not a kind of spectrograms"), 1;
  mel_dataset_t ds;
  if (mel_dataset_from_memory(x, n, labels, tracks, &ds, err, errlen)) return 1;
  kind_data_t view = k->view(&ds);
  int rc = train_given(argc, argv, &view);
  mel_dataset_free(&ds);
  return rc;
}

int gapi_command(int argc, char **argv) { return genre_dispatch(argc, argv); }

static FILE *saved_out, *saved_err;

int gapi_redirect(int out_fd, int err_fd) {
  fflush(stdout), fflush(stderr);
  int o = dup(out_fd), e = dup(err_fd);
  FILE *fo = o >= 0 ? fdopen(o, "w") : NULL, *fe = e >= 0 ? fdopen(e, "w") : NULL;
  if (!fo || !fe) {
    if (fo) fclose(fo);
    else if (o >= 0) close(o);
    if (fe) fclose(fe);
    else if (e >= 0) close(e);
    return -1;
  }
  setvbuf(fo, NULL, _IOLBF, 0), setvbuf(fe, NULL, _IOLBF, 0);
  saved_out = stdout, saved_err = stderr;
  stdout = fo, stderr = fe;
  return 0;
}

void gapi_restore(void) {
  if (!saved_out) return;
  fclose(stdout), fclose(stderr);
  stdout = saved_out, stderr = saved_err;
  saved_out = saved_err = NULL;
}
