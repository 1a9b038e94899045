/* bin/genre extract and synth as a user runs them: bad inputs reported and
 * skipped, exit codes, outputs identical for any -j, previous outputs kept when
 * nothing is usable, deterministic synthetic corpus. */
#include <sndfile.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "table.h"

static char dir[600];

static void write_wav(const char *path, int rate, int channels, double seconds, int format, int nan_at) {
  size_t frames = (size_t)(seconds * rate);
  float *x = malloc(frames * channels * sizeof *x);
  for (size_t i = 0; i < frames * channels; i++) x[i] = (float)(0.3 * sin(0.05 * (double)(i / channels)));
  if (nan_at >= 0) x[nan_at] = NAN;
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  sf_writef_float(f, x, (sf_count_t)frames);
  sf_close(f);
  free(x);
}

static size_t rows_of(const char *path) {
  table_t t;
  char err[600];
  if (table_read(path, &t, err, sizeof err)) return (size_t)-1;
  size_t n = t.n_rows;
  table_free(&t);
  return n;
}

static void test_usage(void) {
  const char *g = genre_bin();
  CHECK(run("%s --help > %s/h.txt", g, dir) == 0, "genre --help exits 0");
  char path[700];
  snprintf(path, sizeof path, "%s/h.txt", dir);
  CHECK(contains(path, "extract"), "genre --help lists extract");
  CHECK(run("%s extract --help > %s/h.txt", g, dir) == 0 && contains(path, "Exit status"),
        "extract --help documents exit status");
  CHECK(run("%s > /dev/null 2>&1", g) == 1, "no command: exit 1");
  CHECK(run("%s frobnicate > /dev/null 2>&1", g) == 1, "unknown command: exit 1");
  CHECK(run("%s extract %s/nothing > /dev/null 2>&1", g, dir) == 1, "extract without -o: exit 1");
  CHECK(run("%s extract -o %s/x -j 0 a.wav > /dev/null 2>&1", g, dir) == 1, "-j 0: exit 1");
  CHECK(run("%s synth > /dev/null 2>&1", g) == 1, "synth without -o: exit 1");
  /* a usage error: its line and one pointing at --help, not the whole help */
  CHECK(run("%s extract --bogus x 2> %s/e.txt", g, dir) == 1, "an unknown option: exit 1");
  snprintf(path, sizeof path, "%s/e.txt", dir);
  CHECK(contains(path, "genre extract: unknown option '--bogus'") && contains(path, "(genre extract --help lists") &&
            !contains(path, "Exit status") && run("test $(wc -l < %s/e.txt) -eq 2", dir) == 0,
        "an unknown option: named, prefixed 'genre extract:', two lines");
  CHECK(run("%s train ann --features 2> %s/e.txt", g, dir) == 1 && contains(path, "--features wants a value") &&
            run("test $(wc -l < %s/e.txt) -eq 2", dir) == 0,
        "a missing value: named, two lines");
  CHECK(run("%s extarct 2> %s/e.txt", g, dir) == 1 && contains(path, "did you mean 'extract'?"),
        "a mistyped command: the nearest one suggested");
  CHECK(run("%s --version > %s/h.txt", g, dir) == 0, "genre --version exits 0");
  snprintf(path, sizeof path, "%s/h.txt", dir);
  CHECK(contains(path, "genre ") && contains(path, "libsvm: 3.") && contains(path, "XGBoost: "),
        "--version: its own and its libraries' versions");
}

static void test_bad_inputs(void) {
  const char *g = genre_bin();
  char path[800];
  CHECK(run("%s synth -o %s/corpus -n 2 -s 4 > /dev/null", g, dir) == 0, "synth a small corpus");
  run("mkdir -p %s/corpus/genres_original/odd", dir);
#define ODD(name) (snprintf(path, sizeof path, "%s/corpus/genres_original/odd/%s", dir, name), path)
  write_bytes(ODD("empty.wav"), "", 0);
  write_bytes(ODD("text.wav"), "this is not audio\n", 18);
  write_bytes(ODD("corrupt.wav"), "RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk", 24); /* like jazz.00054 */
  write_wav(ODD("full.wav"), 22050, 1, 4.0, SF_FORMAT_WAV | SF_FORMAT_PCM_16, -1);
  run("head -c 40 %s > %s", path, ODD("truncated.wav"));
  write_wav(ODD("nan.wav"), 22050, 1, 4.0, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1000);
  write_wav(ODD("short.wav"), 22050, 1, 1.0, SF_FORMAT_WAV | SF_FORMAT_PCM_16, -1);
  write_wav(ODD("stereo48k.wav"), 48000, 2, 3.5, SF_FORMAT_WAV | SF_FORMAT_PCM_24, -1);
  write_wav(ODD("eight.flac"), 8000, 1, 3.2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, -1);
  write_bytes(ODD("README.txt"), "not an input\n", 13);
  run("mkfifo %s", ODD("pipe.wav")); /* opened, it would wait for a writer */

  int rc = run("%s extract -o %s/out2 -j 2 --no-progress %s/corpus/genres_original %s/missing.wav "
               "> %s/out2.stdout 2> %s/out2.stderr",
               g, dir, dir, dir, dir, dir);
  CHECK(rc == 2, "some inputs failed: exit 2 (got %d)", rc);
  snprintf(path, sizeof path, "%s/out2/errors.csv", dir);
  CHECK(rows_of(path) == 7, "errors.csv: empty, text, corrupt, truncated, nan, a FIFO, missing (%zu rows)",
        rows_of(path));
  CHECK(contains(path, "empty file") && contains(path, "NaN") && contains(path, "no such file"),
        "errors.csv gives reasons");
  CHECK(contains(path, "pipe.wav,\"not a regular file"), "a FIFO is 'not a regular file', not an empty one");
  snprintf(path, sizeof path, "%s/out2.stderr", dir);
  CHECK(contains(path, "empty.wav") && contains(path, "missing.wav"), "one stderr line per failure");
  snprintf(path, sizeof path, "%s/out2/features_30_sec.csv", dir);
  /* 20 synthetic + full, short, stereo48k, eight.flac */
  CHECK(rows_of(path) == 24, "30-s rows for every decodable file (%zu)", rows_of(path));
  CHECK(contains(path, "short.wav,22050,") && contains(path, "stereo48k.wav,77175,"),
        "short file has a 30-s row; 48 kHz resampled to ceil(n/2.1769) samples");
  snprintf(path, sizeof path, "%s/out2/features_3_sec.csv", dir);
  /* 4 s tracks: one segment each; short.wav none; 3.5 s and 3.2 s: one */
  CHECK(rows_of(path) == 20 + 1 + 1 + 1, "3-s rows (%zu)", rows_of(path));
  CHECK(!contains(path, "short.0.wav"), "no 3-s row for a file under 3 s");
  CHECK(run("ls -A %s/out2 %s/out2/mel | grep -q '^\\.'", dir, dir) != 0, "no temporary files left");
  snprintf(path, sizeof path, "%s/out2.stdout", dir);
  CHECK(contains(path, "skipped 1 non-audio"), "non-audio file in a directory skipped and counted");
}

static void test_jobs_identical(void) {
  const char *g = genre_bin();
  run("%s extract -o %s/j1 -j 1 --no-progress %s/corpus/genres_original > /dev/null 2>&1", g, dir, dir);
  run("%s extract -o %s/j2 -j 2 --no-progress %s/corpus/genres_original > /dev/null 2>&1", g, dir, dir);
  CHECK(run("diff -r %s/j1 %s/j2 > /dev/null", dir, dir) == 0, "-j 1 and -j 2 write identical bytes");
  run("%s extract -o %s/j3 -j 2 --no-progress %s/corpus/genres_original > /dev/null 2>&1", g, dir, dir);
  CHECK(run("diff -r %s/j2 %s/j3 > /dev/null", dir, dir) == 0, "a rerun writes identical bytes");
  /* a rerun over fewer inputs: mel/ holds what its index lists, nothing older */
  CHECK(run("%s extract -o %s/j3 --no-progress %s/corpus/genres_original/techno > %s/j3.out 2>&1", g, dir, dir, dir) == 0 &&
            run("test $(ls %s/j3/mel/*.npy | wc -l) -eq $(($(wc -l < %s/j3/mel/index.csv) - 1))", dir, dir) == 0 &&
            run("grep -q 'removed .* spectrograms of an earlier run' %s/j3.out", dir) == 0,
        "re-extracting fewer files into the same folder: the older spectrograms removed, and said");
}

static void test_nothing_usable(void) {
  const char *g = genre_bin();
  char before[800], after[800];
  snprintf(before, sizeof before, "%s/j1/features_30_sec.csv", dir);
  size_t rows = rows_of(before);
  int rc = run("%s extract -o %s/j1 --no-progress %s/corpus/genres_original/odd/empty.wav > /dev/null 2>&1", g,
               dir, dir);
  CHECK(rc == 1, "nothing usable: exit 1 (got %d)", rc);
  snprintf(after, sizeof after, "%s/j1/features_30_sec.csv", dir);
  CHECK(rows_of(after) == rows, "previous feature table kept (%zu rows)", rows_of(after));
  snprintf(after, sizeof after, "%s/j1/errors.csv", dir);
  CHECK(rows_of(after) == 1, "errors.csv says why");
}

static void test_duplicates(void) {
  const char *g = genre_bin();
  run("mkdir -p %s/dup/a %s/dup/b && cp %s/corpus/genres_original/odd/full.wav %s/dup/a/x.wav && "
      "cp %s/corpus/genres_original/odd/full.wav %s/dup/b/x.wav",
      dir, dir, dir, dir, dir, dir);
  int rc = run("%s extract -o %s/dupout --no-progress %s/dup > /dev/null 2>&1", g, dir, dir);
  char path[800];
  snprintf(path, sizeof path, "%s/dupout/errors.csv", dir);
  CHECK(rc == 2 && contains(path, "duplicate file name"), "same file name twice: the second is refused");
}

/* Labels from a table; a flat folder that would label everything alike is warned about. */
static void test_labels(void) {
  const char *g = genre_bin();
  char path[800];
  run("mkdir -p %s/flat && cp %s/corpus/genres_original/techno/techno.00000.wav %s/flat/a.wav && "
      "cp %s/corpus/genres_original/ambient/ambient.00000.wav %s/flat/b.wav && "
      "cp %s/corpus/genres_original/ambient/ambient.00001.wav %s/flat/c.wav",
      dir, dir, dir, dir, dir, dir, dir);
  CHECK(run("%s extract -o %s/flat_out --no-progress %s/flat > /dev/null 2> %s/flat.err", g, dir, dir, dir) == 0,
        "a flat folder extracts");
  snprintf(path, sizeof path, "%s/flat.err", dir);
  CHECK(contains(path, "warning: every file is labelled 'flat'"), "and every file labelled alike is warned about");
  run("printf 'file,label\na.wav,techno\n%s/flat/b.wav,ambient\n' > %s/labels.csv", dir, dir);
  int rc = run("%s extract -o %s/flat_out --no-progress --labels %s/labels.csv %s/flat > /dev/null 2> %s/flat.err", g,
               dir, dir, dir, dir);
  CHECK(rc == 2 && contains(path, "1 of 3 files are not in") && !contains(path, "every file is labelled"),
        "--labels: a file the table does not list is reported, not labelled (exit 2)");
  snprintf(path, sizeof path, "%s/flat_out/features_30_sec.csv", dir);
  CHECK(contains(path, "a.wav") && contains(path, ",techno\n") && contains(path, ",ambient\n") &&
            !contains(path, "c.wav") && !contains(path, ",flat\n"),
        "--labels: the table's labels, by file name and by path");
  snprintf(path, sizeof path, "%s/flat_out/errors.csv", dir);
  CHECK(contains(path, "c.wav") && contains(path, "no label"), "errors.csv names the unlisted file");
}

static void test_synth_deterministic(void) {
  const char *g = genre_bin();
  run("%s synth -o %s/s1 -n 1 -s 3 --seed 5 -j 1 > /dev/null", g, dir);
  run("%s synth -o %s/s2 -n 1 -s 3 --seed 5 -j 2 > /dev/null", g, dir);
  run("%s synth -o %s/s3 -n 1 -s 3 --seed 6 > /dev/null", g, dir);
  CHECK(run("diff -r %s/s1 %s/s2 > /dev/null", dir, dir) == 0, "same seed: same bytes");
  CHECK(run("cmp -s %s/s1/genres_original/techno/techno.00000.wav %s/s3/genres_original/techno/techno.00000.wav",
            dir, dir) != 0,
        "another seed: other tracks");
  CHECK(run("ls %s/s1/genres_original | wc -l | grep -q '^10$'", dir) == 0, "ten genres");
  /* other options into the same folder: what differs is made again, not kept */
  run("%s synth -o %s/s3 -n 2 -s 4 --seed 6 > /dev/null && cp -r %s/s3 %s/s4 && %s synth -o %s/s4 -n 1 -s 3 --seed 6 > "
      "/dev/null", g, dir, dir, dir, g, dir);
  CHECK(run("cmp -s %s/s3/genres_original/techno/techno.00000.wav %s/s4/genres_original/techno/techno.00000.wav", dir,
            dir) != 0 && run("test ! -e %s/s4/genres_original/techno/techno.00001.wav", dir) == 0,
        "synth with another --seconds and --tracks-per-genre: tracks remade, the extra ones removed");
  run("%s synth -o %s/s4 -n 1 -s 3 --seed 5 > /dev/null", g, dir);
  CHECK(run("cmp -s %s/s1/genres_original/techno/techno.00000.wav %s/s4/genres_original/techno/techno.00000.wav", dir,
            dir) == 0,
        "and with another --seed: the tracks that seed draws");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_usage);
  RUN(test_bad_inputs);
  RUN(test_jobs_identical);
  RUN(test_nothing_usable);
  RUN(test_duplicates);
  RUN(test_labels);
  RUN(test_synth_deterministic);
  return check_summary();
}
