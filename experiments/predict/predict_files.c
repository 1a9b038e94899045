/* genre predict on files and folders, as extract takes them: every file
 * decoded, cut and analysed on all cores, its segments classified, the rows
 * written in input order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "inputs.h"
#include "names.h"
#include "pipeline.h"
#include "predict.h"
#include "recording.h"
#include "schema.h"

typedef struct file_result {
  int ok;
  char err[600];
  size_t segments;
  real *seg;       /* [segments][K] */
  double *track;   /* [K] */
  unsigned char *quiet; /* [segments]: silent segments (with --segments) */
  int silent;      /* every segment (or the whole file, for track models) below SILENCE_RMS */
} file_result_t;

typedef struct files_job {
  const predict_args_t *a;
  input_list_t inputs;
  file_result_t *results;
  predict_out_t *out;
  int K, segment_models, track_models, mel_models;
  size_t failed;
} files_job_t;

#define SEG_BATCH 32 /* segments classified at once */

typedef struct file_worker {
  classifier_t c;
  int loaded;
  recording_t *rec;
  double *rows;      /* [SEG_BATCH][FEATURE_COUNT] */
  float *mel;        /* [SEG_BATCH][MEL_BANDS * SEGMENT_FRAMES] */
  size_t in_batch;
  real *seg;         /* [segments][K]: the current file's */
  unsigned char *quiet; /* [segments]: silent segments of the current file */
  unsigned char batch_quiet[SEG_BATCH];
  size_t seg_cap, done;
} file_worker_t;

static void *file_worker_new(void *ctx) {
  files_job_t *job = ctx;
  file_worker_t *w = calloc(1, sizeof *w);
  char err[1500];
  if (!w) return NULL;
  w->loaded = classifier_load(&w->c, job->a->models, job->a->n_models, job->a->labels, 1, err, sizeof err) == 0;
  if (w->loaded && job->a->no_calibrate) classifier_uncalibrated(&w->c);
  w->rec = recording_new(0, 0);
  w->rows = malloc(SEG_BATCH * FEATURE_COUNT * sizeof(double));
  w->mel = malloc(SEG_BATCH * (size_t)MEL_BANDS * SEGMENT_FRAMES * sizeof(float));
  return w;
}

static void file_worker_free(void *state) {
  file_worker_t *w = state;
  if (!w) return;
  if (w->loaded) classifier_free(&w->c);
  recording_free(w->rec);
  free(w->rows), free(w->mel), free(w->seg), free(w->quiet), free(w);
}

/* The batch's segments classified into w->seg. 0, or -1 when out of memory. */
static int flush_batch(file_worker_t *w) {
  size_t K = (size_t)w->c.K, need = (w->done + w->in_batch) * K;
  if (need > w->seg_cap) {
    size_t cap = need * 2;
    real *s = realloc(w->seg, cap * sizeof *s);
    unsigned char *q = s ? realloc(w->quiet, cap / K) : NULL;
    if (s) w->seg = s;
    if (!q) return -1;
    w->quiet = q, w->seg_cap = cap;
  }
  if (w->in_batch && classifier_segments(&w->c, w->rows, w->mel, w->in_batch, w->seg + w->done * K)) return -1;
  if (w->in_batch) memcpy(w->quiet + w->done, w->batch_quiet, w->in_batch);
  w->done += w->in_batch, w->in_batch = 0;
  return 0;
}

/* A segment as the recording streams: into the batch, classified when it is full. */
static int on_segment(void *ctx, size_t k, const double *row, const float *mel) {
  file_worker_t *w = ctx;
  size_t plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  (void)k;
  memcpy(w->rows + w->in_batch * FEATURE_COUNT, row, FEATURE_COUNT * sizeof(double));
  w->batch_quiet[w->in_batch] = row[F_RMS_MEAN] < SILENCE_RMS;
  if (mel) memcpy(w->mel + w->in_batch * plane, mel, plane * sizeof(float));
  return ++w->in_batch == SEG_BATCH ? flush_batch(w) : 0;
}

static void file_work(void *ctx, void *state, size_t i) {
  files_job_t *job = ctx;
  file_worker_t *w = state;
  file_result_t *r = &job->results[i];
  input_t *in = &job->inputs.items[i];
  char why[600];
  if (!w || !w->loaded || !w->rec || !w->rows || !w->mel) return (void)snprintf(r->err, sizeof r->err, "out of memory");
  if (in->error) return (void)snprintf(r->err, sizeof r->err, "%s", in->error);
  double whole[FEATURE_COUNT];
  recording_info_t info;
  w->done = w->in_batch = 0;
  classifier_begin(&w->c);
  int rc = recording_run(w->rec, in->path, job->mel_models > 0, job->track_models ? whole : NULL,
                         job->segment_models ? on_segment : NULL, w, &info, why, sizeof why);
  if (rc == RECORDING_OK && flush_batch(w)) rc = RECORDING_FAILED, snprintf(why, sizeof why, "out of memory");
  if (rc != RECORDING_OK) return (void)snprintf(r->err, sizeof r->err, "%s", *why ? why : "out of memory");
  size_t segments = info.segments, K = (size_t)job->K;
  if (job->segment_models && segments == 0)
    return (void)snprintf(r->err, sizeof r->err, "%.2f s of audio, shorter than the 3-s segment the model%s classif%s",
                          (double)info.samples / AUDIO_SR, job->segment_models > 1 ? "s" : "",
                          job->segment_models > 1 ? "y" : "ies");
  r->track = malloc(K * sizeof(double));
  r->seg = job->a->segments ? malloc((segments ? segments : 1) * K * sizeof(real)) : NULL;
  if (!r->track || (job->a->segments && !r->seg) || classifier_track(&w->c, whole, w->seg, segments, r->track))
    return (void)snprintf(r->err, sizeof r->err, "out of memory");
  if (r->seg) memcpy(r->seg, w->seg, segments * K * sizeof(real));
  r->quiet = job->a->segments ? calloc(segments ? segments : 1, 1) : NULL;
  if (job->a->segments && !r->quiet) return (void)snprintf(r->err, sizeof r->err, "out of memory");
  if (job->segment_models) { /* silent as the stream says of a window: every segment */
    if (r->quiet && segments) memcpy(r->quiet, w->quiet, segments);
    r->silent = 1;
    for (size_t s = 0; s < segments; s++) r->silent &= w->quiet[s];
  } else {
    r->silent = whole[F_RMS_MEAN] < SILENCE_RMS;
  }
  r->segments = segments;
  r->ok = 1;
}

static int file_consume(void *ctx, size_t i) {
  files_job_t *job = ctx;
  file_result_t *r = &job->results[i];
  const char *path = job->inputs.items[i].path;
  if (!r->ok) {
    fprintf(stderr, "genre predict: %s: %s\n", shown(path, 0), shown(r->err, 1));
    job->failed++;
  } else if (!job->a->segments) {
    field_t lead[] = {{"file", path, 0}};
    out_row(job->out, lead, 1, r->silent ? NULL : r->track, "silence", NULL, 0);
  } else {
    double p[job->K];
    for (size_t s = 0; s < r->segments; s++) {
      for (int k = 0; k < job->K; k++) p[k] = r->seg[s * (size_t)job->K + (size_t)k];
      field_t lead[] = {{"file", path, 0}, {"segment", NULL, (double)s}, {"start", NULL, s * 3.0},
                        {"end", NULL, (s + 1) * 3.0}};
      out_row(job->out, lead, 4, r->quiet[s] ? NULL : p, "silence", NULL, 0);
    }
  }
  free(r->seg), free(r->track), free(r->quiet);
  r->seg = NULL, r->track = NULL, r->quiet = NULL;
  return ferror(job->out->f) ? 1 : 0;
}

int predict_files(const predict_args_t *a, const classifier_t *c, predict_out_t *o) {
  files_job_t job = {.a = a, .out = o, .K = c->K, .segment_models = c->segment_models,
                     .track_models = c->track_models, .mel_models = c->mel_models};
  if (inputs_list(&job.inputs, a->inputs, a->n_inputs, 0, "predict")) return inputs_free(&job.inputs), 1;
  if (!(job.results = calloc(job.inputs.n, sizeof *job.results))) {
    inputs_free(&job.inputs);
    return fprintf(stderr, "genre predict: out of memory\n"), 1;
  }
  if (a->segments) {
    field_t lead[] = {{"file", "", 0}, {"segment", NULL, 0}, {"start", NULL, 0}, {"end", NULL, 0}};
    out_header(o, lead, 4, NULL, 0);
  } else {
    field_t lead[] = {{"file", "", 0}};
    out_header(o, lead, 1, NULL, 0);
  }
  pipeline_t p = {.n = job.inputs.n, .threads = a->threads, .ctx = &job, .state_new = file_worker_new,
                  .state_free = file_worker_free, .work = file_work, .consume = file_consume};
  size_t consumed;
  int status = pipeline_run(&p, &consumed);
  for (size_t i = 0; i < job.inputs.n; i++) free(job.results[i].seg), free(job.results[i].track);
  free(job.results);
  inputs_free(&job.inputs);
  if (status == PIPELINE_NO_THREADS) return fprintf(stderr, "genre predict: cannot start threads\n"), 1;
  if (status != PIPELINE_DONE) return 1; /* the output failed: reported by the caller */
  return job.failed ? 2 : 0;
}

