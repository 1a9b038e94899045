#include "extract.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "audio.h"
#include "inputs.h"
#include "npy.h"
#include "outfile.h"
#include "progress.h"
#include "schema.h"

/* OpenBLAS runs single-threaded inside the workers (the workers are the
 * parallelism); weak, so another CBLAS would also link. */
extern void openblas_set_num_threads(int) __attribute__((weak));

static const char usage[] =
    "usage: genre extract -o OUTDIR [-j N] [--no-progress] INPUT...\n"
    "\n"
    "Extracts GTZAN-style features from audio files (wav, aiff, au, flac, ogg, mp3),\n"
    "decoded to 22050 Hz mono, with librosa 0.10.1's recipe.\n"
    "INPUT is a file or a directory (searched recursively for audio files).\n"
    "The label of a file is the name of the directory that holds it.\n"
    "\n"
    "Writes to OUTDIR:\n"
    "  features_3_sec.csv   one row per full 3-s segment (<stem>.<k>.wav)\n"
    "  features_30_sec.csv  one row per file, over the whole signal\n"
    "  mel/<stem>.npy       log-mel spectrograms, float32 [segments, 128, 130]\n"
    "  mel/index.csv        file,label,segments,source for every .npy\n"
    "  errors.csv           every input that could not be processed, and why\n"
    "\n"
    "  -o, --output DIR   output directory (created if needed)\n"
    "  -j, --jobs N       files processed in parallel (default: all cores);\n"
    "                     the output is byte-identical for any N\n"
    "      --no-progress  no progress bar on stderr\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 every input processed; 2 some inputs failed (each is a line in\n"
    "errors.csv and on stderr; the rest is written); 1 nothing usable, a usage\n"
    "error, or an output that could not be written (previous outputs are kept).\n";

typedef struct result {
  int done, ok, fatal;
  char err[600];
  size_t samples, segments;
  double *rows; /* (1 + segments) x FEATURE_COUNT; row 0 is the whole file */
} result_t;

typedef struct job {
  input_list_t *inputs;
  result_t *results;
  const char *outdir;
  size_t next, written, window;
  int stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} job_t;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

/* Features of one input, and its mel spectrograms written to OUTDIR/mel. */
static void process(job_t *job, analysis_t *an, audio_buf_t *audio, float *mel, size_t i) {
  input_t *in = &job->inputs->items[i];
  result_t *r = &job->results[i];
  char why[512];
  if (in->error) {
    snprintf(r->err, sizeof r->err, "%s", in->error);
    return;
  }
  if (audio_load(in->path, audio, why, sizeof why)) {
    snprintf(r->err, sizeof r->err, "%s", why);
    return;
  }
  r->samples = audio->n;
  r->segments = audio->n / SEGMENT_SAMPLES;
  r->rows = malloc((1 + r->segments) * FEATURE_COUNT * sizeof(double));
  if (!r->rows || analysis_run(an, audio->x, audio->n, r->rows, NULL)) {
    snprintf(r->err, sizeof r->err, "out of memory");
    return;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/mel/%s.npy", job->outdir, in->stem);
  outfile_t out;
  if (outfile_open(&out, path, why, sizeof why)) {
    snprintf(r->err, sizeof r->err, "%s", why);
    r->fatal = 1;
    return;
  }
  size_t shape[3] = {r->segments, MEL_BANDS, SEGMENT_FRAMES};
  npy_write_header(out.f, shape, 3);
  for (size_t s = 0; s < r->segments; s++) {
    if (analysis_run(an, audio->x + s * SEGMENT_SAMPLES, SEGMENT_SAMPLES,
                     r->rows + (1 + s) * FEATURE_COUNT, mel)) {
      outfile_abort(&out);
      snprintf(r->err, sizeof r->err, "out of memory");
      return;
    }
    fwrite(mel, sizeof(float), (size_t)MEL_BANDS * SEGMENT_FRAMES, out.f);
  }
  if (outfile_commit(&out, 0, why, sizeof why)) {
    snprintf(r->err, sizeof r->err, "%s", why);
    r->fatal = 1;
    return;
  }
  r->ok = 1;
}

static void *worker(void *arg) {
  job_t *job = arg;
  analysis_t *an = analysis_new(0);
  audio_buf_t audio = {0};
  float *mel = malloc(sizeof(float) * MEL_BANDS * SEGMENT_FRAMES);
  for (;;) {
    pthread_mutex_lock(&job->mu);
    /* stay at most `window` inputs ahead of the writer: memory stays bounded */
    while (!job->stop && job->next < job->inputs->n && job->next >= job->written + job->window)
      pthread_cond_wait(&job->cv, &job->mu);
    if (job->stop || job->next >= job->inputs->n) {
      pthread_mutex_unlock(&job->mu);
      break;
    }
    size_t i = job->next++;
    pthread_mutex_unlock(&job->mu);

    result_t *r = &job->results[i];
    if (!an || !mel) snprintf(r->err, sizeof r->err, "out of memory"), r->fatal = 1;
    else process(job, an, &audio, mel, i);

    pthread_mutex_lock(&job->mu);
    r->done = 1;
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
  }
  analysis_free(an);
  audio_buf_free(&audio);
  free(mel);
  return NULL;
}

static void write_header(FILE *f) {
  csv_put_text(f, "filename", 1);
  csv_put_text(f, "length", 0);
  for (int c = 0; c < FEATURE_COUNT; c++) csv_put_text(f, feature_name(c), 0);
  csv_put_text(f, "label", 0);
  csv_end_row(f);
}

static void write_row(FILE *f, const char *name, size_t length, const double *row, const char *label) {
  csv_put_text(f, name, 1);
  csv_put_integer(f, (long long)length, 0);
  for (int c = 0; c < FEATURE_COUNT; c++) csv_put_number(f, row[c], 0);
  csv_put_text(f, label, 0);
  csv_end_row(f);
}

int extract_main(int argc, char **argv) {
  const char *outdir = NULL;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN);
  int show_progress = 1;
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"jobs", required_argument, 0, 'j'},
                                       {"no-progress", no_argument, 0, 'P'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'o': outdir = optarg; break;
    case 'j':
      jobs = strtol(optarg, &end, 10);
      if (*end || jobs < 1 || jobs > 1024) {
        fprintf(stderr, "genre extract: -j wants a number of jobs from 1 to 1024, not '%s'\n", optarg);
        return 1;
      }
      break;
    case 'P': show_progress = 0; break;
    case 'h': fputs(usage, stdout); return 0;
    default: fputs(usage, stderr); return 1;
    }
  }
  if (!outdir || optind >= argc) {
    fprintf(stderr, "genre extract: %s\n\n%s", !outdir ? "-o OUTDIR is required" : "no INPUT given", usage);
    return 1;
  }

  input_list_t inputs = {0};
  for (int i = optind; i < argc; i++)
    if (inputs_add(&inputs, argv[i])) {
      fprintf(stderr, "genre extract: out of memory listing inputs\n");
      inputs_free(&inputs);
      return 1;
    }
  inputs_mark_duplicates(&inputs);
  if (inputs.n == 0) {
    fprintf(stderr, "genre extract: no audio files found in the inputs\n");
    inputs_free(&inputs);
    return 1;
  }

  char err[4400], path[4200];
  snprintf(path, sizeof path, "%s/mel", outdir);
  if (make_dirs(outdir, err, sizeof err) || make_dirs(path, err, sizeof err)) {
    fprintf(stderr, "genre extract: %s\n", err);
    inputs_free(&inputs);
    return 1;
  }
  enum { OUT_3S, OUT_30S, OUT_INDEX, OUT_ERRORS, OUT_COUNT };
  static const char *const names[OUT_COUNT] = {"features_3_sec.csv", "features_30_sec.csv",
                                               "mel/index.csv", "errors.csv"};
  outfile_t out[OUT_COUNT];
  memset(out, 0, sizeof out);
  for (int k = 0; k < OUT_COUNT; k++) {
    snprintf(path, sizeof path, "%s/%s", outdir, names[k]);
    if (outfile_open(&out[k], path, err, sizeof err)) {
      fprintf(stderr, "genre extract: %s\n", err);
      for (int j = 0; j < k; j++) outfile_abort(&out[j]);
      inputs_free(&inputs);
      return 1;
    }
  }
  write_header(out[OUT_3S].f);
  write_header(out[OUT_30S].f);
  fputs("file,label,segments,source\n", out[OUT_INDEX].f);
  fputs("file,reason\n", out[OUT_ERRORS].f);

  if (jobs > (long)inputs.n) jobs = (long)inputs.n;
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  job_t job = {.inputs = &inputs, .outdir = outdir, .window = 4 * (size_t)jobs};
  job.results = calloc(inputs.n, sizeof *job.results);
  pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
  if (!job.results || !threads) {
    fprintf(stderr, "genre extract: out of memory\n");
    for (int k = 0; k < OUT_COUNT; k++) outfile_abort(&out[k]);
    inputs_free(&inputs);
    free(job.results), free(threads);
    return 1;
  }
  pthread_mutex_init(&job.mu, NULL);
  pthread_cond_init(&job.cv, NULL);
  interrupted = 0;
  struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  double t_start = now_seconds();
  long started = 0;
  for (; started < jobs; started++)
    if (pthread_create(&threads[started], NULL, worker, &job)) break;
  if (started == 0) {
    job.stop = 1;
    snprintf(job.results[0].err, sizeof job.results[0].err, "cannot start worker threads");
  }

  progress_t prog;
  progress_start(&prog, "extract", "files", inputs.n, show_progress);
  size_t ok = 0, failed = 0, segments = 0;
  int fatal = 0;
  for (size_t i = 0; i < inputs.n && !fatal; i++) {
    result_t *r = &job.results[i];
    pthread_mutex_lock(&job.mu);
    while (!r->done && !interrupted && started > 0) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100 * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
      pthread_cond_timedwait(&job.cv, &job.mu, &ts);
    }
    pthread_mutex_unlock(&job.mu);
    if (interrupted || started == 0) {
      fatal = 1;
      break;
    }
    input_t *in = &inputs.items[i];
    if (r->fatal) {
      progress_clear(&prog);
      fprintf(stderr, "genre extract: %s\n", r->err);
      fatal = 1;
    } else if (r->ok) {
      ok++;
      segments += r->segments;
      write_row(out[OUT_30S].f, in->name, r->samples, r->rows, in->label);
      for (size_t s = 0; s < r->segments; s++) {
        char name[4200];
        snprintf(name, sizeof name, "%s.%zu.wav", in->stem, s);
        write_row(out[OUT_3S].f, name, SEGMENT_SAMPLES, r->rows + (1 + s) * FEATURE_COUNT, in->label);
      }
      char npy[4200];
      snprintf(npy, sizeof npy, "%s.npy", in->stem);
      csv_put_text(out[OUT_INDEX].f, npy, 1);
      csv_put_text(out[OUT_INDEX].f, in->label, 0);
      csv_put_integer(out[OUT_INDEX].f, (long long)r->segments, 0);
      csv_put_text(out[OUT_INDEX].f, in->name, 0);
      csv_end_row(out[OUT_INDEX].f);
    } else {
      failed++;
      progress_clear(&prog);
      fprintf(stderr, "genre extract: %s: %s\n", in->path, r->err);
      csv_put_text(out[OUT_ERRORS].f, in->path, 1);
      csv_put_text(out[OUT_ERRORS].f, r->err, 0);
      csv_end_row(out[OUT_ERRORS].f);
    }
    free(r->rows);
    r->rows = NULL;
    pthread_mutex_lock(&job.mu);
    job.written = i + 1;
    pthread_cond_broadcast(&job.cv);
    pthread_mutex_unlock(&job.mu);
    progress_update(&prog, i + 1);
  }
  progress_finish(&prog);
  pthread_mutex_lock(&job.mu);
  job.stop = 1;
  pthread_cond_broadcast(&job.cv);
  pthread_mutex_unlock(&job.mu);
  for (long t = 0; t < started; t++) pthread_join(threads[t], NULL);
  double elapsed = now_seconds() - t_start;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);

  int status;
  if (fatal || interrupted) {
    if (interrupted) fprintf(stderr, "genre extract: interrupted; previous outputs left as they were\n");
    for (int k = 0; k < OUT_COUNT; k++) outfile_abort(&out[k]);
    status = 1;
  } else {
    int bad = 0;
    for (int k = 0; k < OUT_COUNT; k++) {
      /* nothing usable: keep earlier feature tables, report the errors */
      if (ok == 0 && k != OUT_ERRORS) {
        outfile_abort(&out[k]);
        continue;
      }
      if (!bad && outfile_commit(&out[k], 1, err, sizeof err)) {
        fprintf(stderr, "genre extract: %s\n", err);
        bad = 1;
      } else if (bad) {
        outfile_abort(&out[k]);
      }
    }
    status = bad || ok == 0 ? 1 : failed ? 2 : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (!bad)
      printf("extracted %zu of %zu files (%zu segments) in %.2f s, %.1f files/s with %ld jobs, "
             "peak RSS %.0f MB; %zu failed -> %s\n",
             ok, inputs.n, segments, elapsed, inputs.n / (elapsed > 0 ? elapsed : 1), started,
             ru.ru_maxrss / 1024.0, failed, outdir);
    if (inputs.skipped)
      printf("skipped %zu non-audio files in the input directories\n", inputs.skipped);
  }
  pthread_mutex_destroy(&job.mu);
  pthread_cond_destroy(&job.cv);
  for (size_t i = 0; i < inputs.n; i++) free(job.results[i].rows);
  free(job.results);
  free(threads);
  inputs_free(&inputs);
  return status;
}
