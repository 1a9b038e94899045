/* Robustness as a user meets it: a corrupt-input corpus built here (audio in
 * every format and state, hand-edited CSVs), interrupted and resumed
 * extractions, full disks. Valid inputs must be processed correctly, invalid
 * ones reported with their reason, and the rest of the run unaffected. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dataset.h"
#include "table.h"

static char dir[600];

static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...) {
  static char paths[8][1400];
  static int next;
  char *p = paths[next++ % 8];
  int n = snprintf(p, 1400, "%s/", dir);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p + n, 1400 - (size_t)n, fmt, ap);
  va_end(ap);
  return p;
}

static size_t read_bytes(const char *path, unsigned char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

/* The test signal: two partials (440 and 1320 Hz) at a level well inside
 * full scale, 4 s. */
#define SECONDS 4.0
static double signal_at(double t) { return 0.4 * sin(2 * M_PI * 440.0 * t) + 0.2 * sin(2 * M_PI * 1320.0 * t); }

/* Writes the test signal at `rate` in `format`, copied to every channel;
 * `poison`: a value written into one sample (0: none). */
static void write_audio(const char *path, int format, int rate, int channels, float poison) {
  size_t frames = (size_t)(SECONDS * rate);
  float *x = malloc(frames * channels * sizeof *x);
  for (size_t i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++) x[i * channels + c] = (float)signal_at((double)i / rate);
  if (poison != 0) x[frames / 2 * channels] = poison;
  SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  if (!f) {
    printf("# cannot write %s: %s\n", path, sf_strerror(NULL));
    free(x);
    return;
  }
  if (format & SF_FORMAT_FLOAT) sf_command(f, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
  sf_writef_float(f, x, (sf_count_t)frames);
  sf_close(f);
  free(x);
}

/* A value of the row whose filename is `name` in a feature table. */
static double cell(const char *table, const char *name, const char *column) {
  table_t t;
  char err[600];
  double v = NAN;
  if (table_read(table, &t, err, sizeof err)) return v;
  int fc = table_column(&t, "filename"), cc = table_column(&t, column);
  for (size_t r = 0; fc >= 0 && cc >= 0 && r < t.n_rows; r++)
    if (strcmp(table_cell(&t, r, (size_t)fc), name) == 0) v = atof(table_cell(&t, r, (size_t)cc));
  table_free(&t);
  return v;
}

/* 1 when the rows named a and b agree in every feature column (bitwise). */
static int same_features(const char *table, const char *a, const char *b) {
  table_t t;
  char err[600];
  if (table_read(table, &t, err, sizeof err)) return 0;
  int fc = table_column(&t, "filename");
  long ra = -1, rb = -1;
  for (size_t r = 0; r < t.n_rows; r++) {
    if (strcmp(table_cell(&t, r, (size_t)fc), a) == 0) ra = (long)r;
    if (strcmp(table_cell(&t, r, (size_t)fc), b) == 0) rb = (long)r;
  }
  int same = ra >= 0 && rb >= 0;
  for (size_t c = 1; same && c < t.n_cols; c++)
    same = strcmp(table_cell(&t, (size_t)ra, c), table_cell(&t, (size_t)rb, c)) == 0;
  table_free(&t);
  return same;
}

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-12); }

/* A FLAC whose STREAMINFO claims 2^36 - 1 samples (about 36 days at 22050 Hz). */
static void write_huge_flac(const char *from, const char *to) {
  static unsigned char buf[1 << 20];
  size_t n = read_bytes(from, buf, sizeof buf);
  /* "fLaC", block header (4), then STREAMINFO: the 36-bit count starts in the
   * low 4 bits of byte 13 of the block */
  if (n > 42 && memcmp(buf, "fLaC", 4) == 0) {
    unsigned char *si = buf + 8;
    si[13] |= 0x0f;
    si[14] = si[15] = si[16] = si[17] = 0xff;
  }
  write_bytes(to, buf, n);
}

/* A WAV whose data chunk claims 4 GB: the file holds 4 s. */
static void write_lying_wav(const char *from, const char *to) {
  static unsigned char buf[1 << 20];
  size_t n = read_bytes(from, buf, sizeof buf);
  for (size_t i = 12; i + 8 < n && i < 200; i++)
    if (memcmp(buf + i, "data", 4) == 0) {
      buf[i + 4] = buf[i + 5] = buf[i + 6] = 0xff, buf[i + 7] = 0xef;
      break;
    }
  write_bytes(to, buf, n);
}

/* Each invalid file: one line in errors.csv with its reason. */
static void check_reasons(const char *errors) {
  static const struct {
    const char *file, *reason;
  } bad[] = {{"empty.wav", "empty file"},
             {"text.wav", "not a WAV"},
             {"cutwav.wav", "libsndfile"},
             {"cutflac.flac", "libsndfile"},
             {"cutmp3.mp3", "corrupt header"}, /* without libsndfile's "(possibly a pipe?)" guess */
             {"huge.flac", "over the 604800 s limit"},
             {"nan.wav", "NaN or Inf sample at frame 44100"},
             {"inf.wav", "NaN or Inf sample at frame 44100"},
             {"loud.wav", "beyond the 1e+06"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char line[300];
    snprintf(line, sizeof line, "robust/%s,", bad[i].file);
    int listed = contains(errors, line);
    snprintf(line, sizeof line, "%s", bad[i].reason);
    FILE *f = fopen(errors, "r");
    char text[8192];
    int reason = 0;
    while (f && fgets(text, sizeof text, f))
      if (strstr(text, bad[i].file)) reason = strstr(text, line) != NULL;
    if (f) fclose(f);
    CHECK(listed && reason, "%s reported in errors.csv with '%s'", bad[i].file, bad[i].reason);
  }
}

/* Each valid file processed correctly (t30: their 30-s table). */
static void check_valid_decodes(const char *t30) {
  CHECK(same_features(t30, "quad.wav", "afloat.wav"), "4 identical channels: the mono file's features, bitwise");
  CHECK(same_features(t30, "aflac.flac", "a16.wav"), "FLAC (lossless): the 16-bit WAV's features, bitwise");
  CHECK(same_features(t30, "wavnamed.mp3", "a16.wav") && same_features(t30, "flacnamed.wav", "a16.wav"),
        "a file under the wrong extension is decoded by its content");
  CHECK(same_features(t30, "lying.wav", "a16.wav"), "a WAV whose header claims 4 GB: its real 4 s, as librosa reads it");
  CHECK(cell(t30, "r8k.wav", "length") == 88200 && cell(t30, "r96k.wav", "length") == 88200,
        "8 kHz and 96 kHz resampled to 22050 Hz: 88200 samples (%g, %g)", cell(t30, "r8k.wav", "length"),
        cell(t30, "r96k.wav", "length"));
  /* the same signal through other encodings: the level and the pitch content
   * survive all of them; the spectral shape all but 8-bit (its quantisation
   * noise is -48 dB and white) and the lossy codecs (they drop the top) */
  static const struct {
    const char *file, *ref;
    double tol;
    int shape;
  } near[] = {{"a24.wav", "afloat.wav", 1e-4, 1},  {"a16.wav", "afloat.wav", 3e-3, 1},
              {"a8.wav", "afloat.wav", 1e-2, 0},   {"r96k.wav", "afloat.wav", 5e-3, 1},
              {"r8k.wav", "a16.wav", 5e-3, 1},     {"avorbis.ogg", "a16.wav", 1e-2, 1},
              {"amp3.mp3", "a16.wav", 1e-2, 1}};
  static const char *columns[] = {"rms_mean", "chroma_stft_mean", "chroma10_mean", "chroma5_mean",
                                  "spectral_centroid_mean", "rolloff_mean"};
  for (size_t i = 0; i < sizeof near / sizeof *near; i++) {
    double worst = 0;
    const char *worst_col = "";
    for (size_t c = 0; c < (near[i].shape ? 6u : 4u); c++) {
      double e = rel(cell(t30, near[i].file, columns[c]), cell(t30, near[i].ref, columns[c]));
      if (!(e <= worst)) worst = e, worst_col = columns[c];
    }
    CHECK(worst <= near[i].tol, "%s agrees with %s within %g (worst %s: %.2g)", near[i].file, near[i].ref,
          near[i].tol, worst_col, worst);
  }
  double centroid = cell(t30, "a16.wav", "spectral_centroid_mean");
  CHECK(centroid > 600 && centroid < 900, "spectral centroid of 440 + 1320 Hz partials: %g Hz", centroid);
}

static void test_audio_corpus(void) {
  const char *g = genre_bin();
  run("mkdir -p %s/mixed/robust %s/valid/robust", dir, dir);
  /* valid, in every format and state */
  write_audio(at("valid/robust/a16.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 0);
  write_audio(at("valid/robust/a24.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_24, 22050, 1, 0);
  write_audio(at("valid/robust/afloat.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, 0);
  write_audio(at("valid/robust/a8.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 22050, 1, 0);
  write_audio(at("valid/robust/quad.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 4, 0);
  write_audio(at("valid/robust/r8k.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0);
  write_audio(at("valid/robust/r96k.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 96000, 1, 0);
  write_audio(at("valid/robust/aflac.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 1, 0);
  write_audio(at("valid/robust/avorbis.ogg"), SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, 1, 0);
  write_audio(at("valid/robust/amp3.mp3"), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 22050, 1, 0);
  run("cp %s/valid/robust/a16.wav %s/valid/robust/wavnamed.mp3", dir, dir); /* wrong extension */
  run("cp %s/valid/robust/aflac.flac %s/valid/robust/flacnamed.wav", dir, dir);
  write_lying_wav(at("valid/robust/a16.wav"), at("valid/robust/lying.wav"));
  run("cp %s/valid/robust/* %s/mixed/robust/", dir, dir);

  /* invalid */
  static unsigned char head[4096];
  write_bytes(at("mixed/robust/empty.wav"), "", 0);
  write_bytes(at("mixed/robust/text.wav"), "title,artist\nnot,audio\n", 23);
  write_bytes(at("mixed/robust/cutwav.wav"), head, read_bytes(at("valid/robust/a16.wav"), head, 30));
  write_bytes(at("mixed/robust/cutflac.flac"), head, read_bytes(at("valid/robust/aflac.flac"), head, 40));
  write_bytes(at("mixed/robust/cutmp3.mp3"), head, read_bytes(at("valid/robust/amp3.mp3"), head, 3));
  write_huge_flac(at("valid/robust/aflac.flac"), at("mixed/robust/huge.flac"));
  write_audio(at("mixed/robust/nan.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, NAN);
  write_audio(at("mixed/robust/inf.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 2, INFINITY);
  write_audio(at("mixed/robust/loud.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, 1e20f);

  int rc = run("%s extract -o %s/mixed-out --no-progress %s/mixed > %s/mixed.log 2>&1", g, dir, dir, dir);
  CHECK(rc == 2, "some inputs invalid: exit 2 (got %d)", rc);
  rc = run("%s extract -o %s/valid-out --no-progress %s/valid > %s/valid.log 2>&1", g, dir, dir, dir);
  CHECK(rc == 0, "the valid files alone: exit 0 (got %d)", rc);

  /* each invalid file: one line in errors.csv with its reason */
  const char *errors = at("mixed-out/errors.csv");
  check_reasons(errors);
  CHECK(contains(at("mixed.log"), "cutflac.flac"), "failures named on stderr too");
  CHECK(!contains(errors, "possibly a pipe"), "libsndfile's guess of a pipe is not passed on for a regular file");

  /* the rest of the run unaffected: the same bytes as without the bad files (but the index's
   * path column: the valid files are copies in another directory) */
  CHECK(run("cmp -s %s/mixed-out/features_30_sec.csv %s/valid-out/features_30_sec.csv", dir, dir) == 0 &&
            run("cmp -s %s/mixed-out/features_3_sec.csv %s/valid-out/features_3_sec.csv", dir, dir) == 0 &&
            run("cut -d, -f1-4 %s/mixed-out/mel/index.csv > %s/i1 && cut -d, -f1-4 %s/valid-out/mel/index.csv > %s/i2 && "
                "cmp -s %s/i1 %s/i2", dir, dir, dir, dir, dir, dir) == 0 &&
            run("diff -r -x index.csv %s/mixed-out/mel %s/valid-out/mel > /dev/null", dir, dir) == 0,
        "tables and spectrograms of the valid files identical with and without the invalid ones");

  check_valid_decodes(at("valid-out/features_30_sec.csv"));
}

/* Kaggle-schema CSVs as people edit them. */
static void test_csv_corpus(void) {
  static const char plain[] = "filename,length,a,b,label\nx.0.wav,66150,1.5,-2,blues\nx.1.wav,66150,2.5,3e-3,jazz\n";
  static const char edited[] = "\xEF\xBB\xBF\"filename\",length,\"a\",b,label\r\n"
                               "\"x.0.wav\",66150,\"1.5\",-2,\"blues\"\r\nx.1.wav,66150,2.5,0.003,jazz\r\n";
  write_bytes(at("plain.csv"), plain, sizeof plain - 1);
  write_bytes(at("edited.csv"), edited, sizeof edited - 1);
  dataset_t a, b;
  char err[1500];
  int la = dataset_load(at("plain.csv"), NULL, 0, NULL, 0, &a, err, sizeof err);
  int lb = dataset_load(at("edited.csv"), NULL, 0, NULL, 0, &b, err, sizeof err);
  CHECK(la == 0 && lb == 0, "plain and edited (BOM, quotes, CRLF) tables load: %s", err);
  if (la == 0 && lb == 0) {
    int same = a.n_rows == b.n_rows && a.n_features == b.n_features && a.n_classes == b.n_classes;
    for (size_t i = 0; same && i < a.n_rows * a.n_features; i++) same = a.x[i] == b.x[i];
    for (int k = 0; same && k < a.n_classes; k++) same = strcmp(a.labels[k], b.labels[k]) == 0;
    CHECK(same, "BOM, quoted cells and CRLF give the same dataset as the plain file");
    CHECK(b.n_features == 2 && strcmp(b.feature_names[0], "a") == 0, "quoted header names read as names");
  }
  if (la == 0) dataset_free(&a);
  if (lb == 0) dataset_free(&b);

  /* (test_ann runs the common cases through the CLI: ragged rows, empty cells,
   * NaN, text, no label, empty file) */
  static const struct {
    const char *name, *text, *expect;
  } bad[] = {
      {"minusinf.csv", "filename,a,label\nx.wav,-Inf,blues\n", "not finite"},
      {"huge.csv", "filename,a,label\nx.wav,1e300,blues\n", "beyond"},
      {"quote.csv", "filename,a,label\n\"x.wav,1,blues\n", "row"},
      {"crlfragged.csv", "filename,a,label\r\nx.wav,1,blues\r\ny.wav,2\r\n", "row 3 has 2 fields"},
      {"bomonly.csv", "\xEF\xBB\xBF", "empty"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    write_bytes(at("%s", bad[i].name), bad[i].text, strlen(bad[i].text));
    dataset_t d;
    err[0] = '\0';
    int rc = dataset_load(at("%s", bad[i].name), NULL, 0, NULL, 0, &d, err, sizeof err);
    CHECK(rc != 0 && strstr(err, bad[i].name) && strstr(err, bad[i].expect),
          "%s refused naming the file and '%s' (got: %s)", bad[i].name, bad[i].expect, rc ? err : "loaded");
    if (rc == 0) dataset_free(&d);
  }
}

/* --- interrupted and resumed extraction ------------------------------------ */

static pid_t spawn(const char *cmd) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static size_t files_in(const char *path) {
  char cmd[2000];
  snprintf(cmd, sizeof cmd, "ls %s 2>/dev/null | wc -l", path);
  FILE *p = popen(cmd, "r");
  size_t n = 0;
  if (p && fscanf(p, "%zu", &n) != 1) n = 0;
  if (p) pclose(p);
  return n;
}

/* Starts an extraction of the resume corpus into out, waits until `parts`
 * more files are done, sends sig; returns the exit status (128+N when killed by N,
 * -1 when it finished before the signal could be sent). */
static int interrupt_extract(const char *out, int sig, size_t parts) {
  char cmd[4000], partdir[1500];
  snprintf(cmd, sizeof cmd, "exec %s extract -o %s -j 2 --no-progress %s/rcorpus/genres_original > %s.log 2>&1",
           genre_bin(), out, dir, out);
  snprintf(partdir, sizeof partdir, "%s/parts", out);
  parts += files_in(partdir);
  pid_t pid = spawn(cmd);
  int status, sent = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (!sent && files_in(partdir) >= parts) {
      kill(pid, sig);
      sent = 1;
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!sent) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int no_temporaries(const char *out) {
  return run("ls -A %s %s/mel %s/parts 2>/dev/null | grep -q '^\\.'", out, out, out) != 0;
}

static void test_resume(void) {
  const char *g = genre_bin();
  /* 40 tracks of 6.5 s: two segments each */
  CHECK(run("%s synth -o %s/rcorpus -n 4 -s 6.5 > /dev/null", g, dir) == 0, "synth the resume corpus");
  CHECK(run("%s extract -o %s/whole -j 2 --no-progress %s/rcorpus/genres_original > /dev/null 2>&1", g, dir, dir) ==
            0,
        "an uninterrupted extraction");

  /* SIGINT: earlier tables untouched, finished files kept, --resume completes */
  run("%s extract -o %s/int -j 1 --no-progress %s/rcorpus/genres_original/dub > /dev/null 2>&1", g, dir, dir);
  run("cp %s/int/features_30_sec.csv %s/before30.csv && cp %s/int/features_3_sec.csv %s/before3.csv && "
      "cp -r %s/int/mel %s/before-mel",
      dir, dir, dir, dir, dir, dir);
  int rc = interrupt_extract(at("int"), SIGINT, 3);
  CHECK(rc == 130, "SIGINT: exit 130 (got %d)", rc);
  CHECK(run("cmp -s %s/int/features_30_sec.csv %s/before30.csv && cmp -s %s/int/features_3_sec.csv %s/before3.csv",
            dir, dir, dir, dir) == 0,
        "SIGINT: the earlier tables are left as they were");
  CHECK(run("diff -r %s/int/mel %s/before-mel > /dev/null", dir, dir) == 0,
        "SIGINT: the earlier spectrograms and their index too");
  CHECK(no_temporaries(at("int")), "SIGINT: no temporary files left");
  CHECK(contains(at("int.log"), "--resume"), "SIGINT: the message says how to continue");
  size_t done = files_in(at("int/parts"));
  CHECK(done >= 4 + 3 && done < 40, "SIGINT: finished files kept (%zu parts)", done);
  rc = run("%s extract -o %s/int --resume -j 2 --no-progress %s/rcorpus/genres_original > %s/int2.log 2>&1", g, dir,
           dir, dir);
  CHECK(rc == 0 && contains(at("int2.log"), "resumed"), "--resume after SIGINT: exit 0 (%d), files reused", rc);
  CHECK(run("diff -r %s/whole %s/int > /dev/null", dir, dir) == 0,
        "--resume after SIGINT: every output identical to the uninterrupted run");

  /* SIGTERM, then SIGKILL (temporaries left behind, cleaned by the next run) */
  rc = interrupt_extract(at("term"), SIGTERM, 2);
  CHECK(rc == 143, "SIGTERM: exit 143 (got %d)", rc);
  CHECK(no_temporaries(at("term")) && access(at("term/features_30_sec.csv"), F_OK) != 0,
        "SIGTERM: no table half-written, no temporaries");
  rc = interrupt_extract(at("kill"), SIGKILL, 2);
  CHECK(rc == 128 + SIGKILL, "SIGKILL: killed (got %d)", rc);
  rc = run("%s extract -o %s/kill --resume -j 2 --no-progress %s/rcorpus/genres_original > /dev/null 2>&1", g, dir,
           dir);
  CHECK(rc == 0 && run("diff -r %s/whole %s/kill > /dev/null", dir, dir) == 0 && no_temporaries(at("kill")),
        "--resume after SIGKILL: identical outputs, stale temporaries removed");

  /* a part that no longer matches its source is not reused */
  run("touch -d '2001-01-01' %s/rcorpus/genres_original/waltz/waltz.00000.wav", dir);
  write_bytes(at("kill/parts/piano.00001.csv"), "#part,1,damaged\n", 16);
  run("rm -f %s/kill/parts/dub.00002.npy", dir);
  rc = run("%s extract -o %s/kill --resume --no-progress %s/rcorpus/genres_original > %s/kill2.log 2>&1", g, dir, dir,
           dir);
  CHECK(rc == 0 && contains(at("kill2.log"), "resumed 37 files"),
        "--resume recomputes a changed source, a damaged part and a missing spectrogram (3 of 40)");
  CHECK(run("cmp -s %s/whole/features_3_sec.csv %s/kill/features_3_sec.csv", dir, dir) == 0,
        "the recomputed rows are the same bytes");

  /* a second extraction into the same directory is refused while one runs */
  char cmd[3000];
  snprintf(cmd, sizeof cmd, "exec %s extract -o %s/lock -j 1 --no-progress %s/rcorpus/genres_original > /dev/null 2>&1",
           g, dir, dir);
  pid_t first = spawn(cmd);
  while (files_in(at("lock/parts")) < 1 && waitpid(first, NULL, WNOHANG) == 0) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  rc = run("%s extract -o %s/lock --no-progress %s/rcorpus/genres_original > %s/lock.log 2>&1", g, dir, dir, dir);
  kill(first, SIGKILL);
  waitpid(first, NULL, 0);
  CHECK(rc == 1 && contains(at("lock.log"), "another genre extract"), "concurrent run on one OUTDIR refused (%d)", rc);
}

/* Full disks: a per-file size limit (ulimit -f, SIGXFSZ ignored) makes writes
 * fail with EFBIG, as a full disk fails them with ENOSPC. (sh's ulimit -f
 * counts 512-byte blocks.) */
static void test_write_errors(void) {
  const char *g = genre_bin();
  CHECK(run("%s synth -o %s/fcorpus -n 8 -s 3.2 > /dev/null", g, dir) == 0, "synth 80 one-segment tracks");
  run("%s extract -o %s/full -j 1 --no-progress %s/fcorpus/genres_original/dub > /dev/null 2>&1", g, dir, dir);
  run("cp %s/full/features_3_sec.csv %s/full-before.csv", dir, dir);
  /* 20 KB: the first spectrogram (67 KB) cannot be written */
  int rc = run("trap '' XFSZ; ulimit -f 40; exec %s extract -o %s/full --no-progress %s/fcorpus/genres_original "
               "> %s/full1.log 2>&1",
               g, dir, dir, dir);
  CHECK(rc == 1 && contains(at("full1.log"), "File too large"), "a spectrogram that cannot be written: exit 1 (%d), "
        "with the reason", rc);
  /* 100 KB: every spectrogram fits, the 3-s table (80 rows, ~130 KB) does not */
  rc = run("trap '' XFSZ; ulimit -f 200; exec %s extract -o %s/full --no-progress %s/fcorpus/genres_original "
           "> %s/full2.log 2>&1",
           g, dir, dir, dir);
  CHECK(rc == 1 && contains(at("full2.log"), "features_3_sec.csv: write failed: File too large"),
        "a table that cannot be written: exit 1 (%d), naming the file", rc);
  CHECK(run("cmp -s %s/full/features_3_sec.csv %s/full-before.csv", dir, dir) == 0 && no_temporaries(at("full")),
        "the earlier table kept whole, no temporaries");

  /* a model */
  static const char csv[] = "filename,a,b,label\nx.wav,1,2,blues\ny.wav,2,1,jazz\nz.wav,1.5,2.5,blues\n"
                            "w.wav,2.5,1.5,jazz\n";
  write_bytes(at("small.csv"), csv, sizeof csv - 1);
  write_bytes(at("old.model"), "previous model", 14);
  rc = run("trap '' XFSZ; ulimit -f 1; exec %s train ann --features %s/small.csv -o %s/old.model --epochs 2 "
           "--hidden 600 --val-fraction 0 --quiet > %s/model.log 2>&1",
           g, dir, dir, dir);
  CHECK(rc != 0 && contains(at("model.log"), "File too large") && contains(at("old.model"), "previous model"),
        "a model that cannot be written: an error (%d), the previous file kept", rc);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_audio_corpus);
  RUN(test_csv_corpus);
  RUN(test_resume);
  RUN(test_write_errors);
  return check_summary();
}
