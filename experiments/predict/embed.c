/* genre embed: a model's activations for every 3-s segment of the inputs and
 * their mean per recording, decoded and analysed as predict does (the same
 * pipeline on all cores, rows in input order). Segments' rows go to a
 * temporary file as they come, so memory holds one file's rows per thread and
 * the recordings' means, whatever the corpus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "inputs.h"
#include "names.h"
#include "npy.h"
#include "outfile.h"
#include "pipeline.h"
#include "predict.h"
#include "recording.h"
#include "schema.h"

#define EMBED_BATCH 32

typedef struct embed_result {
  int ok;
  char err[600];
  size_t segments;
  float *rows; /* [segments][dim] */
} embed_result_t;

typedef struct embed_job {
  const embed_args_t *a;
  input_list_t inputs;
  embed_result_t *results;
  int layer;
  size_t dim, segments, tracks, failed;
  FILE *raw;               /* the segments' rows, before segments.npy */
  float *track_rows;       /* [tracks][dim] */
  size_t track_cap;
  outfile_t seg_csv, track_csv;
} embed_job_t;

typedef struct embed_worker {
  classifier_t c;
  int loaded;
  recording_t *rec;
  double *rows;
  float *mel;
  size_t in_batch, done, cap;
  real *act;    /* [EMBED_BATCH][dim] */
  float *out;   /* [done][dim]: the current file's */
  size_t dim;
  int layer;
} embed_worker_t;

static void *worker_new(void *ctx) {
  embed_job_t *job = ctx;
  embed_worker_t *w = calloc(1, sizeof *w);
  char err[1500];
  if (!w) return NULL;
  w->loaded = classifier_load(&w->c, &job->a->model, 1, job->a->labels, 1, err, sizeof err) == 0;
  w->rec = recording_new(0, 0);
  w->rows = malloc(EMBED_BATCH * FEATURE_COUNT * sizeof(double));
  w->mel = malloc(EMBED_BATCH * (size_t)MEL_BANDS * SEGMENT_FRAMES * sizeof(float));
  w->dim = job->dim, w->layer = job->layer;
  w->act = malloc(EMBED_BATCH * job->dim * sizeof(real));
  return w;
}

static void worker_free(void *state) {
  embed_worker_t *w = state;
  if (!w) return;
  if (w->loaded) classifier_free(&w->c);
  recording_free(w->rec);
  free(w->rows), free(w->mel), free(w->act), free(w->out), free(w);
}

/* The batch's activations appended to w->out. 0, or -1 when out of memory. */
static int flush(embed_worker_t *w) {
  if (!w->in_batch) return 0;
  if (w->done + w->in_batch > w->cap) {
    size_t cap = 2 * (w->done + w->in_batch);
    float *o = realloc(w->out, cap * w->dim * sizeof *o);
    if (!o) return -1;
    w->out = o, w->cap = cap;
  }
  classifier_embed(&w->c, w->layer, w->rows, w->mel, w->in_batch, w->act);
  for (size_t i = 0; i < w->in_batch * w->dim; i++) w->out[w->done * w->dim + i] = (float)w->act[i];
  w->done += w->in_batch, w->in_batch = 0;
  return 0;
}

static int on_segment(void *ctx, size_t k, const double *row, const float *mel) {
  embed_worker_t *w = ctx;
  size_t plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  (void)k;
  memcpy(w->rows + w->in_batch * FEATURE_COUNT, row, FEATURE_COUNT * sizeof(double));
  if (mel) memcpy(w->mel + w->in_batch * plane, mel, plane * sizeof(float));
  return ++w->in_batch == EMBED_BATCH ? flush(w) : 0;
}

static void work(void *ctx, void *state, size_t i) {
  embed_job_t *job = ctx;
  embed_worker_t *w = state;
  embed_result_t *r = &job->results[i];
  input_t *in = &job->inputs.items[i];
  char why[600] = "";
  if (!w || !w->loaded || !w->rec || !w->rows || !w->mel || !w->act) return (void)snprintf(r->err, sizeof r->err, "out of memory");
  if (in->error) return (void)snprintf(r->err, sizeof r->err, "%s", in->error);
  recording_info_t info;
  w->done = w->in_batch = 0;
  int rc = recording_run(w->rec, in->path, w->c.mel_models > 0, NULL, on_segment, w, &info, why, sizeof why);
  if (rc == RECORDING_OK && flush(w)) rc = RECORDING_FAILED, snprintf(why, sizeof why, "out of memory");
  if (rc != RECORDING_OK) return (void)snprintf(r->err, sizeof r->err, "%s", *why ? why : "out of memory");
  if (!info.segments)
    return (void)snprintf(r->err, sizeof r->err, "%.2f s of audio, shorter than a 3-s segment", (double)info.samples / AUDIO_SR);
  r->rows = w->out, r->segments = w->done, r->ok = 1;
  w->out = NULL, w->cap = 0; /* handed over */
}

/* In input order: the segments' rows to the raw file and index, the mean to the tracks. */
static int consume(void *ctx, size_t i) {
  embed_job_t *job = ctx;
  embed_result_t *r = &job->results[i];
  const char *path = job->inputs.items[i].path;
  if (!r->ok) {
    fprintf(stderr, "genre embed: %s: %s\n", shown(path, 0), shown(r->err, 1));
    job->failed++;
    return 0;
  }
  size_t d = job->dim;
  if (job->tracks == job->track_cap) {
    size_t cap = job->track_cap ? 2 * job->track_cap : 64;
    float *t = realloc(job->track_rows, cap * d * sizeof *t);
    if (!t) return free(r->rows), r->rows = NULL, 1;
    job->track_rows = t, job->track_cap = cap;
  }
  float *mean = job->track_rows + job->tracks * d;
  for (size_t j = 0; j < d; j++) {
    double sum = 0;
    for (size_t s = 0; s < r->segments; s++) sum += r->rows[s * d + j];
    mean[j] = (float)(sum / (double)r->segments);
  }
  for (size_t s = 0; s < r->segments; s++) {
    csv_put_text(job->seg_csv.f, path, 1);
    fprintf(job->seg_csv.f, ",%zu,%g,%g,%zu\n", s, s * 3.0, (s + 1) * 3.0, job->segments + s);
  }
  csv_put_text(job->track_csv.f, path, 1);
  fprintf(job->track_csv.f, ",%zu,%zu\n", r->segments, job->tracks);
  size_t n = r->segments * d, put = fwrite(r->rows, sizeof(float), n, job->raw);
  job->segments += r->segments, job->tracks++;
  free(r->rows), r->rows = NULL;
  return put != n || ferror(job->seg_csv.f) || ferror(job->track_csv.f);
}

static int open_outputs(embed_job_t *job, char *err, size_t errlen) {
  const char *dir = job->a->out;
  char path[4200];
  if (make_dirs(dir, err, errlen)) return -1;
  snprintf(path, sizeof path, "%s/segments.csv", dir);
  if (outfile_open(&job->seg_csv, path, err, errlen)) return -1;
  snprintf(path, sizeof path, "%s/tracks.csv", dir);
  if (outfile_open(&job->track_csv, path, err, errlen)) return outfile_abort(&job->seg_csv), -1;
  fputs("file,segment,start,end,row\n", job->seg_csv.f);
  fputs("file,segments,row\n", job->track_csv.f);
  job->raw = tmpfile();
  if (!job->raw) {
    outfile_abort(&job->seg_csv), outfile_abort(&job->track_csv);
    return snprintf(err, errlen, "a temporary file: %s", strerror(errno)), -1;
  }
  return 0;
}

/* segments.npy (the raw rows behind their header) and tracks.npy, then all
 * four files switched in together. 0, or -1 with the reason. */
static int publish(embed_job_t *job, char *err, size_t errlen) {
  char path[4200];
  outfile_t seg, trk;
  size_t shape[2] = {job->segments, job->dim}, tshape[2] = {job->tracks, job->dim};
  snprintf(path, sizeof path, "%s/segments.npy", job->a->out);
  if (outfile_open(&seg, path, err, errlen)) return -1;
  snprintf(path, sizeof path, "%s/tracks.npy", job->a->out);
  if (outfile_open(&trk, path, err, errlen)) return outfile_abort(&seg), -1;
  npy_write_header(seg.f, shape, 2);
  rewind(job->raw);
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, job->raw)) > 0) fwrite(buf, 1, n, seg.f);
  npy_write_header(trk.f, tshape, 2);
  fwrite(job->track_rows, sizeof(float), job->tracks * job->dim, trk.f);
  outfile_t *all[4] = {&seg, &trk, &job->seg_csv, &job->track_csv};
  int rc = ferror(job->raw) ? (snprintf(err, errlen, "the temporary rows could not be read back"), -1) : 0;
  for (int i = 0; i < 4 && !rc; i++) rc = outfile_finish(all[i], 1, err, errlen);
  for (int i = 0; i < 4 && !rc; i++) rc = outfile_install(all[i], err, errlen);
  if (rc)
    for (int i = 0; i < 4; i++) outfile_abort(all[i]);
  return rc;
}

int embed_run(const embed_args_t *a, const classifier_t *c) {
  embed_job_t job = {.a = a, .layer = classifier_embed_layer(c, a->layer)};
  char err[4400];
  if (!c->model[0].net)
    return fprintf(stderr, "genre embed: %s: a classical model (kNN) has no layers to take activations from\n", a->model), 1;
  if (job.layer < 0)
    return fprintf(stderr, "genre embed: %s: no layer %d (it has %d; a model ending in a dense layer has a default)\n",
                   a->model, a->layer + 1, c->model[0].net->n_layers), 1;
  const char *kind = layer_kind_name(c->model[0].net->layer[job.layer].spec.kind);
  if (a->layer_kind[0] && strcmp(a->layer_kind, kind) != 0)
    return fprintf(stderr, "genre embed: %s: layer %d is %s_%d, not %s_%d\n", a->model, job.layer + 1, kind, job.layer + 1,
                   a->layer_kind, job.layer + 1), 1;
  job.dim = classifier_embed_dim(c, job.layer);
  if (inputs_list(&job.inputs, a->inputs, a->n_inputs, 0, "embed")) return inputs_free(&job.inputs), 1;
  job.results = calloc(job.inputs.n ? job.inputs.n : 1, sizeof *job.results);
  if (!job.results || open_outputs(&job, err, sizeof err)) {
    fprintf(stderr, "genre embed: %s\n", job.results ? err : "out of memory");
    return free(job.results), inputs_free(&job.inputs), 1;
  }
  pipeline_t p = {.n = job.inputs.n, .threads = a->threads, .ctx = &job, .state_new = worker_new,
                  .state_free = worker_free, .work = work, .consume = consume};
  size_t consumed;
  int status = pipeline_run(&p, &consumed), rc = 0;
  if (status != PIPELINE_DONE || job.tracks == 0) {
    fprintf(stderr, "genre embed: %s\n", status != PIPELINE_DONE ? "writing the rows failed" : "no input gave a segment: nothing written");
    outfile_abort(&job.seg_csv), outfile_abort(&job.track_csv);
    rc = 1;
  } else if (publish(&job, err, sizeof err)) {
    fprintf(stderr, "genre embed: %s\n", err);
    rc = 1;
  } else {
    printf("embedded %zu segments of %zu recordings: layer %s_%d, %zu values each -> %s/segments.npy, tracks.npy%s\n",
           job.segments, job.tracks, layer_kind_name(c->model[0].net->layer[job.layer].spec.kind), job.layer + 1, job.dim,
           a->out, job.failed ? " (some inputs failed: see above)" : "");
    rc = job.failed ? 2 : 0;
  }
  for (size_t i = 0; i < job.inputs.n; i++) free(job.results[i].rows);
  free(job.results), free(job.track_rows);
  if (job.raw) fclose(job.raw);
  inputs_free(&job.inputs);
  return rc;
}
