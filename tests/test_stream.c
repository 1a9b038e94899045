/* Spectrograms streamed from disk (issue: corpora larger than memory).
 *
 * A corpus several times larger than a memory cgroup the test makes (cgroup
 * v1's memory.limit_in_bytes; as root, as CI runs) trains, cross-validates and
 * runs an experiment inside it, and on two MPI ranks sharing it; the models
 * are the bytes of the unlimited runs. Then the bad inputs: a non-finite
 * value, a truncated or missing file, a wrong shape, a file deleted while
 * training: each stops the run naming the file (and segment), nothing written. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "mel_dataset.h"

static const char *mpirun = "mpirun --allow-run-as-root --oversubscribe";
static char dir[4096], g[4096], cg[512]; /* scratch, genre, the memory cgroup ("" when none) */

static long read_long(const char *name) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", cg, name);
  FILE *f = fopen(path, "r");
  long v = -1;
  if (f && fscanf(f, "%ld", &v) != 1) v = -1;
  if (f) fclose(f);
  return v;
}

static int write_value(const char *name, long v) {
  char path[700];
  snprintf(path, sizeof path, "%s/%s", cg, name);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int rc = fprintf(f, "%ld\n", v) < 0;
  return fclose(f) || rc ? -1 : 0;
}

/* A memory cgroup of `mb` MB for the commands of in_cgroup. 0, or -1 (not root, no v1 memory controller). */
static int cgroup_make(long mb) {
  snprintf(cg, sizeof cg, "/sys/fs/cgroup/memory/genre-test-%d", (int)getpid());
  if (mkdir(cg, 0755) != 0 || write_value("memory.limit_in_bytes", mb << 20)) {
    rmdir(cg);
    cg[0] = '\0';
    return -1;
  }
  return 0;
}

/* The corpus out of the page cache (posix_fadvise): pages the test wrote are
 * charged to the test's own cgroup, and a limited run must read them again */
static void drop_pages(const char *mel) {
  DIR *d = opendir(mel);
  char path[4400];
  for (struct dirent *e; d && (e = readdir(d));) {
    if (snprintf(path, sizeof path, "%s/%s", mel, e->d_name) >= (int)sizeof path) continue;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) fdatasync(fd), posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), close(fd);
  }
  if (d) closedir(d);
}

/* Runs a shell command inside the cgroup (the shell moves itself in; its children follow). */
static int in_cgroup(const char *fmt, ...) {
  char cmd[6000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  char mel[4200];
  snprintf(mel, sizeof mel, "%s/big/mel", dir);
  drop_pages(mel);
  write_value("memory.max_usage_in_bytes", 0); /* the peak from now on */
  write_value("memory.failcnt", 0);
  return run("cd %s && echo $$ > %s/cgroup.procs && %s", dir, cg, cmd);
}

/* "the limit held": peak usage within it, and reached (the page cache was reclaimed to stay within it) */
static void check_bound(const char *what, long mb) {
  long peak = read_long("memory.max_usage_in_bytes"), fails = read_long("memory.failcnt");
  printf("  %s: peak %.0f MB in a %ld MB cgroup, limit reached %ld times\n", what, peak / 1048576.0, mb, fails);
  CHECK(peak > 0 && peak <= mb << 20 && fails > 0, "%s: peak %.0f MB of the %ld MB limit, reached %ld times (the corpus "
        "did not fit: pages were dropped and read again)", what, peak / 1048576.0, mb, fails);
}

static int same_file(const char *a, const char *b) { return run("cd %s && cmp -s %s %s", dir, a, b) == 0; }

static void larger_than_memory(void) {
  int light = memcheck();
  /* ASan's shadow and quarantine multiply a process's memory: under the
     sanitizers the same runs, in a roomier cgroup (make test proves the bound) */
  long limit = light ? 768 : 80, tracks = light ? 60 : 360;
  /* without temperatures: a twin (trained before the model, one network alive
   * at a time) would double the test's time and prove nothing more */
  const char *opts = "--epochs 1 --batch 8 --threads 1 --quiet --no-calibrate", *with_t = opts;
  CHECK(run("%s/mel_corpus %s/big %ld 10 8 7", getenv("HELPERS"), dir, tracks) == 0, "a corpus of %ld tracks x 10 "
        "spectrograms (%.0f MB)", tracks, tracks * 10 * 66.56e3 / 1048576.0);
  if (cgroup_make(limit)) {
    printf("SKIP the memory bound: cannot make a memory cgroup under /sys/fs/cgroup/memory (run as root with cgroup v1's "
           "memory controller)\n");
    return;
  }
  CHECK(run("cd %s && %s train cnn --mel big -o free.model %s > /dev/null 2>&1", dir, g, with_t) == 0,
        "train cnn without a limit");
  CHECK(in_cgroup("%s train cnn --mel big -o cg.model %s > /dev/null 2> cg.err", g, with_t) == 0,
        "train cnn in a %ld MB cgroup", limit);
  if (!light) check_bound("train cnn", limit);
  CHECK(same_file("free.model", "cg.model"), "train cnn under the limit: the unlimited run's bytes");
  CHECK(in_cgroup("%s cv cnn --mel big --folds 2 %s > cv.out 2>&1", g, opts) == 0 &&
            run("grep -q '^accuracy' %s/cv.out", dir) == 0,
        "cv cnn (2 folds) in the cgroup");
  if (!light) check_bound("cv cnn", limit);
  CHECK(in_cgroup("%s experiment --data big --models cnn --folds 2 --cnn-epochs 1 --cnn-batch 8 --threads 1 --no-calibrate -o exp "
                  "> /dev/null 2>&1",
                  g) == 0 && run("test -s %s/exp/metrics.json", dir) == 0,
        "experiment --models cnn in the cgroup");
  if (!light) check_bound("experiment", limit);
  write_value("memory.limit_in_bytes", 2 * limit << 20);
  CHECK(run("cd %s && %s -np 2 %s train cnn --mel big -o free2.model %s > /dev/null 2>&1", dir, mpirun, g, opts) == 0 &&
            in_cgroup("%s -np 2 %s train cnn --mel big -o cg2.model %s > /dev/null 2>&1", mpirun, g, opts) == 0,
        "mpirun -np 2 train cnn, both ranks in one %ld MB cgroup", 2 * limit);
  if (!light) check_bound("two ranks", 2 * limit);
  CHECK(same_file("free2.model", "cg2.model"), "two ranks under the limit: the unlimited run's bytes");
  rmdir(cg);
}

/* Byte offset of the data in a .npy file (after the header's newline) */
static long data_offset(const char *path) {
  size_t len;
  char *text = slurp(path, &len);
  char *nl = text ? memchr(text, '\n', len) : NULL;
  long at = nl ? (long)(nl - text) + 1 : -1;
  free(text);
  return at;
}

/* The run failed (exit 1), its stderr names `needle`, and no model (nor a temporary) was written */
static void check_refused(const char *cmd, const char *needle, const char *what) {
  char err[4200];
  snprintf(err, sizeof err, "%s/bad.err", dir);
  run("rm -f %s/bad.model*", dir);
  int rc = run("cd %s && %s > /dev/null 2> bad.err", dir, cmd);
  CHECK(rc == 1 && contains(err, needle) && run("ls %s/bad.model* > /dev/null 2>&1", dir) != 0,
        "%s: exit %d, the error names '%s', nothing written", what, rc, needle);
}

static void bad_inputs(void) {
  char cmd[6000], path[4200];
  const char *train = "train cnn --mel small -o bad.model --epochs 1 --threads 1 --quiet";
  run("%s/mel_corpus %s/small 12 3 3 1", getenv("HELPERS"), dir);
  snprintf(cmd, sizeof cmd, "%s %s", g, train);
  /* a NaN in segment 2 of one file: found when the row is read */
  snprintf(path, sizeof path, "%s/small/mel/t0000005.npy", dir);
  long at = data_offset(path);
  int fd = open(path, O_WRONLY);
  float nan = NAN;
  CHECK(at > 0 && fd >= 0 && pwrite(fd, &nan, sizeof nan, at + 2 * 128 * 130 * 4 + 4 * 777) == sizeof nan,
        "a NaN written into segment 2");
  if (fd >= 0) close(fd);
  check_refused(cmd, "t0000005.npy: segment 2 has a non-finite value", "train cnn on a non-finite value");
  run("%s/mel_corpus %s/small 12 3 3 1", getenv("HELPERS"), dir); /* whole again */
  run("truncate -s -1000 %s/small/mel/t0000004.npy", dir);
  check_refused(cmd, "t0000004.npy", "a truncated file");
  run("%s/mel_corpus %s/small 12 3 3 1 && rm %s/small/mel/t0000007.npy", getenv("HELPERS"), dir, dir);
  check_refused(cmd, "t0000007.npy: cannot open", "a file the index lists but missing");
  run("%s/mel_corpus %s/small 12 3 3 1 && sed -i 's/^t0000001.npy,class01,3/t0000001.npy,class01,4/' %s/small/mel/index.csv",
      getenv("HELPERS"), dir, dir);
  check_refused(cmd, "t0000001.npy: shape is not [4, 128, 130]", "a shape other than the index says");
  /* deleted while training: after the first epoch's line (the descriptor
     kept open at that moment is dropped within an epoch or two); without a
     temperature, whose twin would first train its 200 epochs in silence */
  run("%s/mel_corpus %s/many 40 3 3 1", getenv("HELPERS"), dir); /* more tracks than descriptors kept open */
  snprintf(cmd, sizeof cmd,
           "rm -f bad.model*; %s train cnn --mel many -o bad.model --epochs 200 --threads 1 --batch 4 --verbose --no-calibrate "
           "> /dev/null 2> bad.err & pid=$!; "
           "while ! grep -q 'epoch   1' bad.err && kill -0 $pid 2>/dev/null; do sleep 0.05; done; "
           "rm many/mel/t000000[0-9].npy; wait $pid",
           g);
  int rc = run("cd %s && %s", dir, cmd);
  snprintf(path, sizeof path, "%s/bad.err", dir);
  CHECK(rc == 1 && contains(path, ".npy: cannot open") && run("ls %s/bad.model* > /dev/null 2>&1", dir) != 0,
        "files deleted while training: exit %d, the file named, nothing written", rc);
}

/* extract --mel-dtype f16: '<f2' files, every value within 1/32 dB of
 * float32's, read and trained on as they are */
static void half_precision(void) {
  CHECK(run("cd %s && %s synth -o syn -n 2 -s 9 > /dev/null && %s extract -o f32 --no-progress syn > /dev/null 2>&1 && "
            "%s extract -o f16 --mel-dtype f16 --no-progress syn > /dev/null 2>&1", dir, g, g, g) == 0,
        "extract, float32 and float16");
  char path[4200], err[4500];
  CHECK(run("cd %s && for f in f16/mel/*.npy; do head -c 100 \"$f\" | grep -q \"'descr': '<f2'\" || exit 1; done && "
            "for f in f32/mel/*.npy; do head -c 100 \"$f\" | grep -q \"'descr': '<f4'\" || exit 1; done", dir) == 0,
        "--mel-dtype f16 writes '<f2' .npy files, the default '<f4'");
  CHECK(run("cd %s && cmp -s f32/features_3_sec.csv f16/features_3_sec.csv && cmp -s f32/mel/index.csv f16/mel/index.csv",
            dir) == 0, "the tables and index do not change");
  mel_dataset_t a, b;
  snprintf(path, sizeof path, "%s/f32", dir);
  int ok = mel_dataset_load(path, NULL, 0, &a, err, sizeof err) == 0;
  snprintf(path, sizeof path, "%s/f16", dir);
  ok = ok && mel_dataset_load(path, NULL, 0, &b, err, sizeof err) == 0 && a.n_rows == b.n_rows;
  CHECK(ok, "both load: %s", ok ? "" : err);
  static real x[128 * 130], y[128 * 130];
  double worst = 0;
  for (size_t r = 0; ok && r < a.n_rows; r++) {
    ok = mel_dataset_read(&a, &r, 1, x, err, sizeof err) == 0 && mel_dataset_read(&b, &r, 1, y, err, sizeof err) == 0;
    for (size_t i = 0; ok && i < 128 * 130; i++) worst = fmax(worst, fabs((double)x[i] - y[i]));
  }
  CHECK(ok && worst > 0 && worst <= 1.0 / 32, "every value of %zu segments within 1/32 dB of float32's (worst %.4f dB)",
        a.n_rows, worst);
  printf("  float16 against float32: worst |difference| %.4f dB over %zu segments\n", worst, a.n_rows);
  mel_dataset_free(&a), mel_dataset_free(&b);
  CHECK(run("cd %s && %s train cnn --mel f16 -o h.model --epochs 1 --threads 1 --quiet > /dev/null 2>&1 && "
            "%s evaluate --model h.model --mel f16 > /dev/null 2>&1", dir, g, g) == 0,
        "train cnn and evaluate on float16 spectrograms");
  if (run("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") != 0) {
    printf("SKIP np.load of a float16 file: no numpy (apt-get install python3-numpy)\n");
    return;
  }
  CHECK(run("cd %s && /usr/bin/python3 -c \"import numpy as np, glob; "
            " a = np.load(sorted(glob.glob('f16/mel/*.npy'))[0]); assert a.dtype == np.float16 and a.shape[1:] == (128, 130)\"", dir) == 0, "np.load reads it as float16");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  if (!realpath(genre_bin(), g)) snprintf(g, sizeof g, "%s", genre_bin());
  char helpers[4200];
  ssize_t len = readlink("/proc/self/exe", helpers, sizeof helpers - 1);
  helpers[len > 0 ? len : 0] = '\0';
  char *slash = strrchr(helpers, '/');
  if (slash) *slash = '\0';
  setenv("HELPERS", helpers, 1);
  mpi_leak_stacks();
  RUN(half_precision);
  RUN(bad_inputs);
  RUN(larger_than_memory);
  return check_summary();
}
