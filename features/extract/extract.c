#include "extract.h"
#include "infile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "audio.h"
#include "cli.h"
#include "inputs.h"
#include "names.h"
#include "npy.h"
#include "outfile.h"
#include "part.h"
#include "recording.h"
#include "shard.h"
#include "pipeline.h"
#include "progress.h"
#include "schema.h"

/* OpenBLAS runs single-threaded inside the workers (the workers are the
 * parallelism); weak, so another CBLAS would also link. */
extern void openblas_set_num_threads(int) __attribute__((weak));

typedef struct result {
  int ok, fatal, resumed;
  int other;   /* --shard: another shard's input */
  int missing; /* --merge: no whole part and no recorded failure */
  char err[600];
  size_t segments;
  double short_by; /* seconds the header claimed beyond the data (a note, not an error) */
} result_t;

enum { OUT_3S, OUT_30S, OUT_INDEX, OUT_ERRORS, OUT_COUNT };

/* One run of extract: its inputs, their results and the outputs being written. */
typedef struct job {
  input_list_t inputs;
  result_t *results;
  const char *outdir;
  int resume, lock, shard_lock, merge;
  int mel_elem;          /* NPY_F32 or NPY_F16 */
  shard_t shard;         /* n 0: every input */
  unsigned char *mine;   /* --shard: this shard's inputs */
  outfile_t out[OUT_COUNT];
  progress_t prog;
  size_t ok, failed, segments, resumed, others, missing;
  int fatal;
} job_t;

/* first SIGINT/SIGTERM: finish what is written, keep the old tables; second: leave at once */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  if (interrupted) {
    outfile_abort_all_signal_safe();
    _exit(128 + sig);
  }
  interrupted = sig;
}

static void write_row(FILE *f, const char *name, size_t length, const double *row, const char *label) {
  csv_put_text(f, name, 1);
  csv_put_integer(f, (long long)length, 0);
  for (int c = 0; c < FEATURE_COUNT; c++) csv_put_number(f, row[c], 0);
  csv_put_text(f, label, 0);
  csv_end_row(f);
}

static void part_path(char *buf, size_t len, const job_t *job, const input_t *in, const char *ext) {
  snprintf(buf, len, "%s/parts/%s.%s", job->outdir, in->file_stem, ext);
}

/* The key line a part (or .err part) of this very source starts with; NULL
 * when out of memory. */
static char *source_key(const input_t *in, const struct stat *st, size_t *len) {
  char *key = NULL;
  FILE *k = open_memstream(&key, len);
  if (!k) return NULL;
  part_key(k, in->name, in->label, st);
  if (fclose(k) == 0) return key;
  free(key);
  return NULL;
}

/* --resume: the part file of `in` when it is whole and matches the source, and
 * the log-mel file it goes with is whole too. 1 when r now holds it. */
static int part_reuse(const job_t *job, const input_t *in, const struct stat *st, result_t *r) {
  char path[4300], why[256];
  size_t key_len;
  unsigned long long samples, segments;
  char *key = source_key(in, st, &key_len);
  part_path(path, sizeof path, job, in, "csv");
  int ok = key && part_check_file(path, key, key_len, &samples, &segments) == 0;
  free(key);
  part_path(path, sizeof path, job, in, "npy");
  const char *why_open;
  FILE *f = ok ? fopen_regular(path, &why_open) : NULL;
  if (!f) return 0;
  size_t shape[NPY_MAX_DIMS];
  int nd;
  struct stat pst;
  int elem;
  /* --resume redoes a part of the other dtype; --merge takes the shards' */
  ok = fstat(fileno(f), &pst) == 0 && npy_read_header_any(f, (long)pst.st_size, shape, &nd, &elem, why, sizeof why) == 0 &&
       (job->merge || elem == job->mel_elem) && nd == 3 && shape[0] == segments && shape[1] == MEL_BANDS &&
       shape[2] == SEGMENT_FRAMES && ftell(f) + (long)(segments * MEL_BANDS * SEGMENT_FRAMES * elem) == (long)pst.st_size;
  fclose(f);
  if (ok) r->segments = segments, r->resumed = 1;
  return ok;
}

/* --shard: a failed input's reason, in parts/<stem>.err after its key line,
 * so that --merge can list it in errors.csv without decoding it again. */
static void write_err_part(const job_t *job, const input_t *in, const struct stat *st, const char *reason) {
  char path[4300], why[600];
  outfile_t o;
  part_path(path, sizeof path, job, in, "err");
  if (outfile_open(&o, path, why, sizeof why)) return; /* --merge then reports the input as missing */
  part_key(o.f, in->name, in->label, st);
  fprintf(o.f, "%s\n", reason);
  if (outfile_commit(&o, 0, why, sizeof why)) fprintf(stderr, "genre extract: %s\n", shown(why, 0));
}

/* --merge: the reason a shard recorded for this very source; 1 when found. */
static int read_err_part(const job_t *job, const input_t *in, const struct stat *st, char *reason, size_t len) {
  char path[4300], text[8192];
  size_t key_len, text_len = 0;
  char *key = source_key(in, st, &key_len);
  part_path(path, sizeof path, job, in, "err");
  FILE *f = key ? fopen(path, "rb") : NULL;
  if (f) text_len = fread(text, 1, sizeof text, f), fclose(f);
  int found = key && text_len > key_len && text_len < sizeof text && memcmp(text, key, key_len) == 0 &&
              text[text_len - 1] == '\n';
  if (found) snprintf(reason, len, "%.*s", (int)(text_len - key_len - 1), text + key_len);
  free(key);
  return found;
}

/* --merge: an input's whole part or recorded failure, nothing computed. */
static void merge_one(job_t *job, const input_t *in, const struct stat *st, result_t *r) {
  if (part_reuse(job, in, st, r)) r->ok = 1;
  else if (!read_err_part(job, in, st, r->err, sizeof r->err)) r->missing = 1;
}

/* Where one input's segments go as the recording is read: log-mels to its
 * .npy, rows to its part file. */
typedef struct sink {
  outfile_t npy, part;
  const input_t *in;
  int elem; /* NPY_F32 or NPY_F16 */
} sink_t;

static int on_segment(void *ctx, size_t k, const double *row, const float *mel) {
  sink_t *s = ctx;
  size_t plane = (size_t)MEL_BANDS * SEGMENT_FRAMES;
  char name[4200];
  snprintf(name, sizeof name, "%s.%zu.wav", s->in->stem, k);
  write_row(s->part.f, name, SEGMENT_SAMPLES, row, s->in->label);
  if (s->elem == NPY_F16) {
    uint16_t half[MEL_BANDS * SEGMENT_FRAMES];
    for (size_t i = 0; i < plane; i++) half[i] = npy_half(mel[i]);
    return fwrite(half, sizeof half[0], plane, s->npy.f) != plane || ferror(s->part.f);
  }
  return fwrite(mel, sizeof(float), plane, s->npy.f) != plane || ferror(s->part.f);
}

/* The .npy's header states the segment count, known at the end: it is
 * written for 0 first and rewritten in place (the same length). */
static int npy_finish(outfile_t *o, size_t segments, int elem) {
  char head[256];
  FILE *m = fmemopen(head, sizeof head, "wb");
  size_t shape[3] = {segments, MEL_BANDS, SEGMENT_FRAMES};
  if (!m || npy_write_header_as(m, shape, 3, elem)) return m ? fclose(m), -1 : -1;
  long len = ftell(m);
  fclose(m);
  return outfile_rewrite(o, 0, head, (size_t)len);
}

/* Features of one input, streamed as it is decoded: its log-mel spectrograms
 * and its rows go to OUTDIR/parts, each file written whole or not at all
 * (published to mel/ and the tables when the whole run succeeds). */
static void process(job_t *job, recording_t *rec, size_t i) {
  input_t *in = &job->inputs.items[i];
  result_t *r = &job->results[i];
  char why[600], path[4300];
  struct stat st;
  if (job->mine && !job->mine[i]) return (void)(r->other = 1);
  if (in->error) return (void)snprintf(r->err, sizeof r->err, "%s", in->error);
  if (stat(in->path, &st) != 0)
    return (void)snprintf(r->err, sizeof r->err, "%s", errno == ENOENT ? "no such file" : strerror(errno));
  if (job->merge) return merge_one(job, in, &st, r);
  if (job->resume && part_reuse(job, in, &st, r)) return (void)(r->ok = 1);
  sink_t s = {.in = in, .elem = job->mel_elem};
  size_t shape[3] = {0, MEL_BANDS, SEGMENT_FRAMES};
  part_path(path, sizeof path, job, in, "npy");
  if (outfile_open(&s.npy, path, why, sizeof why)) goto fatal;
  part_path(path, sizeof path, job, in, "csv");
  if (outfile_open(&s.part, path, why, sizeof why)) {
    outfile_abort(&s.npy);
    goto fatal;
  }
  npy_write_header_as(s.npy.f, shape, 3, s.elem);
  part_key(s.part.f, in->name, in->label, &st);
  double whole[FEATURE_COUNT];
  recording_info_t info;
  int rc = recording_run(rec, in->path, 1, whole, on_segment, &s, &info, why, sizeof why);
  if (rc == RECORDING_OK) {
    write_row(s.part.f, in->name, info.samples, whole, in->label);
    fprintf(s.part.f, "#end,%zu,%zu\n", info.samples, info.segments);
    if (npy_finish(&s.npy, info.segments, s.elem)) rc = RECORDING_FAILED, snprintf(why, sizeof why, "writing its log-mel file failed");
  } else if (rc == RECORDING_FAILED && (ferror(s.npy.f) || ferror(s.part.f))) {
    snprintf(why, sizeof why, "writing its part files under %.200s/parts failed: %s", job->outdir,
             strerror(ferror(s.npy.f) ? outfile_error(&s.npy) : outfile_error(&s.part)));
  }
  if (rc != RECORDING_OK) {
    outfile_abort(&s.npy), outfile_abort(&s.part);
    if (rc == RECORDING_BAD_INPUT) {
      if (job->shard.n) write_err_part(job, in, &st, why);
      return (void)snprintf(r->err, sizeof r->err, "%s", why);
    }
    goto fatal;
  }
  if (outfile_commit(&s.npy, 0, why, sizeof why)) {
    outfile_abort(&s.part);
    goto fatal;
  }
  if (outfile_commit(&s.part, 0, why, sizeof why)) goto fatal;
  r->segments = info.segments;
  r->short_by = info.missing;
  r->ok = 1;
  return;
fatal:
  snprintf(r->err, sizeof r->err, "%s", why);
  r->fatal = 1;
}

static void *worker_new(void *ctx) {
  (void)ctx;
  return recording_new(0, 0);
}

static void worker_free(void *state) { recording_free(state); }

static void work(void *ctx, void *state, size_t i) {
  job_t *job = ctx;
  result_t *r = &job->results[i];
  if (!state) snprintf(r->err, sizeof r->err, "out of memory"), r->fatal = 1;
  else process(job, state, i);
}

static void write_header(FILE *f) {
  csv_put_text(f, "filename", 1);
  csv_put_text(f, "length", 0);
  for (int c = 0; c < FEATURE_COUNT; c++) csv_put_text(f, feature_name(c), 0);
  csv_put_text(f, "label", 0);
  csv_end_row(f);
}

/* In input order, in the calling thread: a finished file's rows go to the
 * tables, a failed one to errors.csv. Nonzero stops the run. */
static int consume(void *ctx, size_t i) {
  job_t *job = ctx;
  result_t *r = &job->results[i];
  input_t *in = &job->inputs.items[i];
  char path[4300];
  part_path(path, sizeof path, job, in, "csv");
  if (r->ok && r->short_by > 0)
    progress_clear(&job->prog), fprintf(stderr, "genre extract: note: %s: its header claims %.2f s more than the file "
                                                "holds (cut short?): decoded what is there\n", shown(in->path, 0), r->short_by);
  if (r->other || r->missing) {
    job->others += (size_t)r->other, job->missing += (size_t)r->missing;
    if (r->missing) progress_clear(&job->prog), fprintf(stderr, "genre extract --merge: %s: no whole part in %s/parts\n",
                                                         shown(in->path, 0), shown(job->outdir, 1));
    progress_update(&job->prog, i + 1);
    return 0;
  }
  if (job->shard.n) { /* a shard leaves parts; --merge writes the tables */
    if (r->ok) job->ok++, job->segments += r->segments, job->resumed += (size_t)r->resumed;
    else if (!r->fatal) job->failed++, progress_clear(&job->prog),
         fprintf(stderr, "genre extract: %s: %s\n", shown(in->path, 0), shown(r->err, 1));
    else job->fatal = 1, fprintf(stderr, "genre extract: %s: %s\n", shown(in->path, 0), shown(r->err, 1));
    progress_update(&job->prog, i + 1);
    return job->fatal;
  }
  if (r->ok && part_copy(path, job->out[OUT_30S].f, job->out[OUT_3S].f)) {
    snprintf(r->err, sizeof r->err, "its part file %s could not be read back", shown(path, 2));
    r->ok = 0, r->fatal = 1;
  }
  if (r->fatal) {
    progress_clear(&job->prog);
    fprintf(stderr, "genre extract: %s: %s\n", shown(in->path, 0), shown(r->err, 1));
    job->fatal = 1;
  } else if (r->ok) {
    job->ok++;
    job->resumed += (size_t)r->resumed;
    job->segments += r->segments;
    char npy[4200];
    snprintf(npy, sizeof npy, "%s.npy", in->file_stem);
    FILE *f = job->out[OUT_INDEX].f;
    csv_put_text(f, npy, 1);
    csv_put_text(f, in->label, 0);
    csv_put_integer(f, (long long)r->segments, 0);
    csv_put_text(f, in->name, 0);
    char *real = realpath(in->path, NULL); /* for links from reports to the audio */
    csv_put_text(f, real ? real : in->path, 0);
    free(real);
    csv_end_row(f);
  } else {
    job->failed++;
    progress_clear(&job->prog);
    fprintf(stderr, "genre extract: %s: %s\n", shown(in->path, 0), shown(r->err, 1));
    csv_put_text(job->out[OUT_ERRORS].f, in->path, 1);
    csv_put_text(job->out[OUT_ERRORS].f, r->err, 0);
    csv_end_row(job->out[OUT_ERRORS].f);
  }
  progress_update(&job->prog, i + 1);
  return job->fatal;
}

/* One extract at a time per OUTDIR: an advisory lock on the directory itself,
 * held while the run lasts and released by the kernel however it ends. The fd,
 * or -1 with the reason. */
static int lock_outdir(const char *outdir, int shared, char *err, size_t errlen) {
  int fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", outdir, strerror(errno));
    return -1;
  }
  if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    snprintf(err, errlen, "%s: another genre extract is writing there%s", outdir,
             shared ? " (a whole run or a merge)" : "");
    close(fd);
    return -1;
  }
  return fd;
}

/* --shard K/N: shards share OUTDIR (a shared lock on it, which a whole run or
 * a merge would need alone), one process per shard (OUTDIR/.shard-K-of-N.lock). */
static int lock_shard(const job_t *job, char *err, size_t errlen) {
  char path[4300];
  snprintf(path, sizeof path, "%s/.shard-%d-of-%d.lock", job->outdir, job->shard.k, job->shard.n);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return snprintf(err, errlen, "%s: shard %d of %d is already running there", job->outdir, job->shard.k, job->shard.n), -1;
  }
  return fd;
}

/* OUTDIR, mel/ and parts/ made and locked, stale temporaries removed, the
 * tables opened with their headers. 0, or -1 after printing the problem. */
static int open_outputs(job_t *job) {
  static const char *const names[OUT_COUNT] = {"features_3_sec.csv", "features_30_sec.csv", "mel/index.csv",
                                               "errors.csv"};
  static const char *const top[] = {"features_3_sec.csv", "features_30_sec.csv", "errors.csv"};
  char err[4400], path[4200];
  const char *outdir = job->outdir;
  int ok = make_dirs(outdir, err, sizeof err) == 0;
  for (int k = 0; ok && k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", outdir, k ? "parts" : "mel");
    ok = make_dirs(path, err, sizeof err) == 0;
  }
  job->lock = ok ? lock_outdir(outdir, job->shard.n > 0, err, sizeof err) : -1;
  if (job->lock < 0) return fprintf(stderr, "genre extract: %s\n", err), -1;
  if (job->shard.n) { /* other shards may be writing parts: nothing swept, no table opened */
    job->shard_lock = lock_shard(job, err, sizeof err);
    return job->shard_lock < 0 ? (fprintf(stderr, "genre extract: %s\n", err), -1) : 0;
  }
  outfile_remove_stale(outdir, top, 3);
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", outdir, k ? "parts" : "mel");
    outfile_remove_stale(path, NULL, 0); /* mel/ and parts/ hold only ours */
  }
  for (int k = 0; k < OUT_COUNT; k++) {
    snprintf(path, sizeof path, "%s/%s", outdir, names[k]);
    if (outfile_open(&job->out[k], path, err, sizeof err)) {
      fprintf(stderr, "genre extract: %s\n", err);
      for (int j = 0; j < k; j++) outfile_abort(&job->out[j]);
      return -1;
    }
  }
  write_header(job->out[OUT_3S].f);
  write_header(job->out[OUT_30S].f);
  fputs("file,label,segments,source,path\n", job->out[OUT_INDEX].f);
  fputs("file,reason\n", job->out[OUT_ERRORS].f);
  return 0;
}

/* A completed run, published so that the previous outputs stay a consistent
 * set until the new set is complete: every table written out (fsync'd) and
 * every new spectrogram linked beside its place in mel/ under a temporary
 * name first; only then the renames (spectrograms, then tables). A full disk
 * before the renames leaves mel/ and the tables as they were. With nothing
 * usable, only errors.csv. 0, or -1 after printing. */
static int publish(job_t *job) {
  char err[4400], src[4300], dst[4300];
  size_t n = job->inputs.n;
  char **tmp = job->ok ? calloc(n, sizeof *tmp) : NULL;
  int bad = job->ok && !tmp;
  if (bad) fprintf(stderr, "genre extract: out of memory\n");
  for (int k = 0; k < OUT_COUNT && !bad; k++) {
    if (job->ok == 0 && k != OUT_ERRORS) outfile_abort(&job->out[k]); /* nothing usable: keep earlier tables */
    else if (outfile_finish(&job->out[k], 1, err, sizeof err)) fprintf(stderr, "genre extract: %s\n", err), bad = 1;
  }
  for (size_t i = 0; job->ok > 0 && i < n && !bad; i++) {
    if (!job->results[i].ok) continue;
    snprintf(src, sizeof src, "%s/parts/%s.npy", job->outdir, job->inputs.items[i].file_stem);
    snprintf(dst, sizeof dst, "%s/mel/%s.npy", job->outdir, job->inputs.items[i].file_stem);
    char t[4096];
    if (publish_stage(src, dst, t, sizeof t, err, sizeof err)) fprintf(stderr, "genre extract: %s\n", err), bad = 1;
    else if (!(tmp[i] = strdup(t))) unlink(t), bad = 1, fprintf(stderr, "genre extract: out of memory\n");
  }
  for (size_t i = 0; tmp && i < n; i++) { /* the switch, or nothing */
    if (!tmp[i]) continue;
    snprintf(dst, sizeof dst, "%s/mel/%s.npy", job->outdir, job->inputs.items[i].file_stem);
    if (bad) unlink(tmp[i]);
    else if (publish_switch(tmp[i], dst, err, sizeof err)) fprintf(stderr, "genre extract: %s\n", err), bad = 1;
    free(tmp[i]);
  }
  free(tmp);
  for (int k = 0; k < OUT_COUNT; k++) {
    if (bad) outfile_abort(&job->out[k]);
    else if (job->out[k].finished && outfile_install(&job->out[k], err, sizeof err))
      fprintf(stderr, "genre extract: %s\n", err), bad = 1;
  }
  return bad ? -1 : 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* After a publish: the spectrograms in mel/ that this run's index does not
 * list (an earlier run's inputs) go, so that the .npy files in mel/ are the ones index.csv lists. */
static void sweep_mel(const job_t *job) {
  size_t n = 0, removed = 0;
  char **keep = malloc((job->inputs.n ? job->inputs.n : 1) * sizeof *keep), path[4300];
  snprintf(path, sizeof path, "%s/mel", job->outdir);
  DIR *dir = keep ? opendir(path) : NULL;
  for (size_t i = 0; dir && i < job->inputs.n; i++)
    if (job->results[i].ok) keep[n++] = job->inputs.items[i].file_stem;
  if (dir) qsort(keep, n, sizeof *keep, cmp_str);
  for (struct dirent *e; dir && (e = readdir(dir));) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".npy") != 0) continue;
    char stem[1024], *key = stem;
    snprintf(stem, sizeof stem, "%.*s", (int)(len - 4), e->d_name);
    if (bsearch(&key, keep, n, sizeof *keep, cmp_str)) continue;
    snprintf(path, sizeof path, "%s/mel/%s", job->outdir, e->d_name);
    removed += unlink(path) == 0;
  }
  if (dir) closedir(dir);
  free(keep);
  if (removed)
    printf("removed %zu spectrogram%s of an earlier run from %s/mel (mel/index.csv lists this run's)\n", removed,
           removed == 1 ? "" : "s", job->outdir);
}

static void print_summary(const job_t *job, double elapsed, int threads) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  size_t n = job->inputs.n;
  printf("extracted %zu of %zu files (%zu segments) in %.2f s, %.1f files/s with %d jobs, "
         "peak RSS %.0f MB; %zu failed -> %s\n",
         job->ok, n, job->segments, elapsed, n / (elapsed > 0 ? elapsed : 1), threads, ru.ru_maxrss / 1024.0,
         job->failed, job->outdir);
  if (job->resumed) printf("%s %zu files from %s/parts\n", job->merge ? "merged" : "resumed", job->resumed, job->outdir);
  if (job->inputs.skipped) printf("skipped %zu non-audio files in the input directories\n", job->inputs.skipped);
}

/* The workers over every input, their results consumed in order. The pipeline's status. */
static int run_workers(job_t *job, int threads) {
  struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
  sigemptyset(&sa.sa_mask);
  interrupted = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  if (openblas_set_num_threads) openblas_set_num_threads(1);
  pipeline_t p = {.n = job->inputs.n, .threads = threads, .ctx = job, .state_new = worker_new,
                  .state_free = worker_free, .work = work, .consume = consume, .interrupted = &interrupted};
  progress_start(&job->prog, "extract", "files", job->inputs.n, job->prog.enabled);
  size_t consumed;
  int status = pipeline_run(&p, &consumed);
  progress_finish(&job->prog);
  if (status == PIPELINE_NO_THREADS) fprintf(stderr, "genre extract: cannot start worker threads\n");
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  return status;
}

static void job_free(job_t *job) {
  free(job->results);
  inputs_free(&job->inputs);
  if (job->lock > 0) close(job->lock);
  if (job->shard_lock > 0) close(job->shard_lock);
  free(job->mine);
}

/* --labels, and a warning when every file gets the same label. 0, or -1 after printing. */
static int set_labels(input_list_t *inputs, const char *csv) {
  char err[4400];
  size_t absent = 0;
  if (csv && inputs_relabel(inputs, csv, &absent, err, sizeof err)) return fprintf(stderr, "genre extract: %s\n", err), -1;
  if (absent)
    fprintf(stderr, "genre extract: %zu of %zu files are not in %s: reported as failed, not labelled\n", absent,
            inputs->n, csv);
  const char *one = inputs_one_label(inputs);
  if (one)
    fprintf(stderr, "genre extract: warning: every file is labelled '%s'%s: a model needs two labels at least (one "
            "folder per label, e.g. genres_original/<genre>/, or --labels FILE.csv)\n", one,
            csv ? "" : " (the name of the folder that holds it)");
  return 0;
}

int extract_run(const extract_args_t *a) {
  job_t job = {.outdir = a->outdir, .resume = a->resume, .merge = a->merge, .shard = a->shard, .mel_elem = a->mel_elem,
               .lock = -1, .shard_lock = -1, .prog.enabled = a->show_progress};
  if (inputs_list(&job.inputs, a->inputs, a->n_inputs, 1, "extract") || set_labels(&job.inputs, a->labels))
    return job_free(&job), 1;
  job.results = calloc(job.inputs.n, sizeof *job.results);
  job.mine = job.shard.n ? calloc(job.inputs.n, 1) : NULL;
  if (!job.results || (job.shard.n && (!job.mine || shard_select(&job.inputs, &job.shard, job.mine)))) {
    fprintf(stderr, "genre extract: out of memory\n");
    return job_free(&job), 1;
  }
  if (open_outputs(&job)) return job_free(&job), 1;

  int threads = a->jobs > (long)job.inputs.n ? (int)job.inputs.n : (int)a->jobs;
  double t_start = now_seconds();
  int status = run_workers(&job, threads);
  double elapsed = now_seconds() - t_start;

  int rc;
  if (status != PIPELINE_DONE) {
    for (int k = 0; k < OUT_COUNT; k++) outfile_abort(&job.out[k]);
    size_t finished = 0;
    for (size_t i = 0; i < job.inputs.n; i++) finished += job.results[i].ok;
    if (interrupted)
      fprintf(stderr,
              "genre extract: interrupted; the tables and mel/ are left as they were; %zu files done are kept in "
              "%s/parts (rerun with --resume to continue)\n",
              finished, job.outdir);
    rc = interrupted ? 128 + interrupted : 1;
  } else if (job.shard.n) {
    printf("shard %d of %d: %zu of its %zu files done (%zu segments) in %.2f s, %zu failed -> %s/parts; "
           "genre extract --merge assembles the tables once every shard is done\n", job.shard.k, job.shard.n, job.ok,
           job.inputs.n - job.others, job.segments, elapsed, job.failed, job.outdir);
    rc = job.failed ? 2 : 0;
  } else if (job.missing) {
    for (int k = 0; k < OUT_COUNT; k++) outfile_abort(&job.out[k]);
    fprintf(stderr, "genre extract --merge: %zu of %zu inputs have no whole part in %s/parts (listed above): "
            "nothing written\n", job.missing, job.inputs.n, shown(job.outdir, 0));
    rc = 1;
  } else if (publish(&job)) {
    rc = 1;
  } else {
    if (job.ok) sweep_mel(&job);
    print_summary(&job, elapsed, threads);
    rc = job.ok == 0 ? 1 : job.failed ? 2 : 0;
  }
  job_free(&job);
  return rc;
}
