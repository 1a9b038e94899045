/* genre predict: what genre is this recording? Files and folders as extract
 * takes them (predict_stream.c for standard input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "cli.h"
#include "commands.h"
#include "schema.h"
#include "inputs.h"
#include "names.h"
#include "outfile.h"
#include "pipeline.h"
#include "recording.h"
#include "predict.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char about[] =
    "usage: genre predict -m MODEL [-m MODEL]... [options] INPUT...\n"
    "       genre predict -m MODEL... --stream [--rate HZ] [--channels N] [--sample-format s16|f32] -\n"
    "\n"
    "Classifies recordings with models that genre train (or experiment --save-models)\n"
    "wrote. INPUT is audio files and directories, as genre extract takes them. Several\n"
    "-m: their ensemble (the mean of their probabilities). A model sees the unit it\n"
    "was trained on: 3-s segments (the CNN, an ANN on features_3_sec.csv) or the\n"
    "whole recording (an ANN on a 30-s table, Kaggle's included). A track's\n"
    "probabilities are the mean of its segments'.\n"
    "\n";

static int add_model(const char *cmd, const char *arg, void *value) {
  predict_args_t *a = value;
  if (a->n_models == CLASSIFIER_MAX_MODELS)
    return fprintf(stderr, "genre %s: at most %d models\n", cmd, CLASSIFIER_MAX_MODELS), -1;
  a->models[a->n_models++] = (char *)arg;
  return 0;
}

static int format_word(const char *cmd, const char *arg, void *value) {
  static const char *const formats[] = {"text", "csv", "jsonl", NULL};
  return (*(int *)value = cli_choice(cmd, "--format", arg, formats)) < 0 ? -1 : 0;
}

static int sample_word(const char *cmd, const char *arg, void *value) {
  static const char *const samples[] = {"s16", "f32", NULL};
  return (*(int *)value = cli_choice(cmd, "--sample-format", arg, samples)) < 0 ? -1 : 0;
}

/* The parse, and the help when a is NULL (out: where). Returns cli_parse's. */
static int predict_table(int argc, char **argv, predict_args_t *a, int *help, FILE *out) {
  predict_args_t scratch;
  if (!a) a = &scratch;
  const cli_option_t opts[] = {
      OPT_CALL('m', "model", a, add_model, "MODEL", "a model file (repeat for an ensemble, up to 16)"),
      OPT_FLAG(0, "segments", &a->segments, 1, "one row per 3-s segment (start, end in seconds)"),
      OPT_CALL(0, "format", &a->format, format_word, "F", "text (default on a terminal), csv (otherwise) or jsonl"),
      OPT_INT(0, "top", &a->top, 1, 1000, "K", "labels shown per row in the text view (default 3)"),
      OPT_STRING('o', "output", &a->output, "FILE", "write the rows to FILE (atomically) instead of stdout"),
      OPT_INT(0, "threads", &a->threads, 1, 64, "T", "threads (default: all cores)"),
      OPT_HELP("\n"
               "  CSV columns: file,label,probability,p_<label>...; with --segments:\n"
               "  file,segment,start,end,label,probability,p_<label>...; jsonl has the same keys.\n"
               "\n"
               "Streaming (--stream, INPUT is -): raw interleaved PCM on standard input (e.g.\n"
               "arecord, sox or ffmpeg ... -f s16le -), resampled to 22050 Hz when needed. Every\n"
               "hop, one line for the last window: time,label,probability,p_<label>...,\n"
               "smooth_label,smooth_probability (time: end of the window, seconds of input;\n"
               "smooth: the mean over the last --smooth windows). Silence (RMS under -60 dBFS)\n"
               "is reported as the label 'silence', not as a genre."),
      OPT_FLAG(0, "stream", &a->stream, 1, "classify raw PCM from standard input (INPUT is -)"),
      OPT_LONG(0, "rate", &a->rate, 1000, 768000, "HZ", "input sample rate (default 22050; 1000 to 768000)"),
      OPT_INT(0, "channels", &a->channels, 1, 64, "N", "interleaved channels, averaged (default 1; up to 64)"),
      OPT_CALL(0, "sample-format", &a->sample_format, sample_word, "F",
               "s16 (little-endian, default) or f32 (little-endian float)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "window", &a->window, 3, 60, 0, "S", NULL, "seconds per decision, a multiple of 3 (default 3)"),
      OPT_NUMBER(CLI_DOUBLE, 0, "hop", &a->hop, 0.1, 60, 0, "S", NULL, "seconds between decisions (default 3; 0.1 to 60)"),
      OPT_INT(0, "smooth", &a->smooth, 1, 1000, "N", "windows in the smoothed decision (default 5)"),
      OPT_HELP("\n"
               "Exit status: 0 all inputs classified; 2 some failed (each is a line on stderr;\n"
               "the others are classified); 1 a usage, model or output error."),
      OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  if (out) return fputs(about, out), cli_help(out, tables), 0;
  return cli_parse("predict", argc, argv, tables, help);
}

int predict_parse_args(int argc, char **argv, predict_args_t *a) {
  memset(a, 0, sizeof *a);
  *a = (predict_args_t){.top = 3, .threads = cli_cores(), .rate = AUDIO_SR, .channels = 1, .window = 3, .hop = 3,
                        .smooth = 5, .format = isatty(STDOUT_FILENO) ? FORMAT_TEXT : FORMAT_CSV};
  int first = predict_table(argc, argv, a, &a->help, NULL);
  if (a->help) return 0;
  if (first < 0) return -1;
  a->inputs = argv + first, a->n_inputs = argc - first;
  const char *why = !a->n_models                                   ? "-m MODEL is required"
                    : !a->n_inputs                                 ? "no INPUT given (- with --stream)"
                    : a->stream && (a->n_inputs != 1 || strcmp(a->inputs[0], "-") != 0) ? "--stream reads - (standard input) only"
                    : !a->stream && a->n_inputs == 1 && strcmp(a->inputs[0], "-") == 0 ? "- (standard input) needs --stream and its PCM format"
                    : a->stream && a->segments                     ? "--segments is for files; a stream prints a line per hop"
                    : a->window / 3 != (double)(long)(a->window / 3) ? "--window is a multiple of 3 s (the models' segment)"
                                                                   : NULL;
  if (why) return fprintf(stderr, "genre predict: %s\n", why), -1;
  return 0;
}

/* --- files ---------------------------------------------------------------- */

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
  w->loaded = classifier_load(&w->c, job->a->models, job->a->n_models, 1, err, sizeof err) == 0;
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

static int predict_files(const predict_args_t *a, const classifier_t *c, predict_out_t *o) {
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

/* --- the command ---------------------------------------------------------- */

/* Loads the models; says which unit each one sees. 0, or -1 after printing. */
static int load_models(const predict_args_t *a, classifier_t *c) {
  char err[1500];
  if (classifier_load(c, a->models, a->n_models, a->stream ? a->threads : 1, err, sizeof err))
    return fprintf(stderr, "genre predict: %s\n", err), -1;
  for (int i = 0; i < c->n_models; i++) {
    if (c->model[i].unit == MODEL_UNIT_UNKNOWN)
      fprintf(stderr, "genre predict: %s predates recorded units: taken as a 3-s segment model (retrain it if it "
                      "was trained on whole tracks)\n", a->models[i]);
    if (a->segments && c->model[i].unit == MODEL_UNIT_TRACK)
      return fprintf(stderr, "genre predict: %s was trained on whole tracks: --segments needs segment models\n",
                     a->models[i]), -1;
  }
  return 0;
}

int predict_main(int argc, char **argv) {
  predict_args_t a;
  if (predict_parse_args(argc, argv, &a)) return fputs("\n", stderr), predict_table(0, NULL, NULL, NULL, stderr), 1;
  if (a.help) return predict_table(0, NULL, NULL, NULL, stdout), 0;
  if (cli_args_only) return 0;
  if (openblas_set_num_threads) openblas_set_num_threads(1); /* our threads are the parallelism */
  classifier_t c;
  if (load_models(&a, &c)) return 1;
  outfile_t file = {0};
  char err[4400];
  if (a.output && outfile_open(&file, a.output, err, sizeof err)) {
    classifier_free(&c);
    return fprintf(stderr, "genre predict: %s\n", err), 1;
  }
  predict_out_t out = {.f = a.output ? file.f : stdout, .format = a.format, .top = a.top, .K = c.K,
                       .labels = c.labels};
  int rc = a.stream ? predict_stream(&a, &c, &out) : predict_files(&a, &c, &out);
  if (a.output && rc != 1 && outfile_commit(&file, 0, err, sizeof err)) rc = 1, fprintf(stderr, "genre predict: %s\n", err);
  else if (a.output && rc == 1) outfile_abort(&file);
  if (!a.output && (fflush(stdout) != 0 || ferror(stdout))) rc = 1, fprintf(stderr, "genre predict: writing standard output failed\n");
  classifier_free(&c);
  return rc;
}
