/* Any file name: newlines, carriage returns, tabs, quotes, commas and bytes
 * that are not UTF-8 keep every table valid UTF-8 CSV with one record per
 * file or segment (read back with our libcsv reader, which reads RFC 4180 as
 * pandas does), valid names unchanged, invalid bytes as \xHH, files on disk
 * named with %HH escapes, displays on one line. */
#include <dirent.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "names.h"
#include "table.h"

static char dir[600], in[700], out[700];

/* The awkward names, each a copy of the same short tone (7 s: 2 segments). */
static const char *const names[] = {
    "new\nline.wav", "carriage\rreturn.wav", "tab\there.wav", "quote\"d, with comma.wav",
    "bad\xff\xfe utf8.wav", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.wav", "100% \\back.wav", " spaced .wav"};
#define N_NAMES (sizeof names / sizeof *names)

static void test_escapes(void) {
  char buf[200];
  CHECK(utf8_valid("caf\xc3\xa9") && !utf8_valid("bad\xff") && !utf8_valid("\xc0\xaf") && !utf8_valid("\xed\xa0\x80"),
        "UTF-8 validation: overlong forms and surrogates are invalid");
  CHECK(strcmp(name_utf8("a\nb,\"c\xc3\xa9\xff", buf, sizeof buf), "a\nb,\"c\xc3\xa9\\xFF") == 0,
        "tables: valid text unchanged, a stray byte as \\xFF");
  CHECK(strcmp(name_display("a\nb\tc\rd\x01\xfe", buf, sizeof buf), "a\\nb\\tc\\rd\\x01\\xFE") == 0,
        "displays: control characters escaped (%s)", buf);
  CHECK(strcmp(name_file("a\nb%c\\d\xff/e\xc3\xa9", buf, sizeof buf), "a%0Ab%25c%5Cd%FF/e\xc3\xa9") == 0,
        "file names: %%HH for control, stray, %% and backslash (%s)", buf);
  CHECK(strlen(name_utf8("\xff\xff\xff", buf, 5)) == 4, "a short buffer truncates, terminated");
}

static void write_tone(const char *path) {
  SF_INFO info = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
  static float x[22050 * 7];
  for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = 0.3f * sinf((float)i * 0.05f) + 0.1f * sinf((float)i * 0.31f);
  if (sf) sf_writef_float(sf, x, (sf_count_t)(sizeof x / sizeof *x));
  sf_close(sf);
}

static void setup(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  snprintf(in, sizeof in, "%s/in", dir);
  snprintf(out, sizeof out, "%s/out", dir);
  run("mkdir -p '%s/rock' '%s/jazz'", in, in);
  char path[900];
  for (size_t i = 0; i < N_NAMES; i++) {
    snprintf(path, sizeof path, "%s/%s/%s", in, i % 2 ? "jazz" : "rock", names[i]);
    write_tone(path);
  }
  snprintf(path, sizeof path, "%s/rock/broken\n\xff name.wav", in);
  write_bytes(path, "not audio\n", 10);
  CHECK(run("%s extract -o %s --no-progress %s >/dev/null 2>%s/extract.err", genre_bin(), out, in, dir) == 2,
        "extract: every good file done, the broken one reported (exit 2)");
}

/* A table of ours: valid UTF-8, read back whole by the CSV reader. */
static int read_table(const char *name, table_t *t) {
  char path[800], err[600];
  size_t n;
  snprintf(path, sizeof path, "%s/%s", out, name);
  char *text = slurp(path, &n);
  int utf8 = text && utf8_valid(text) && strlen(text) == n;
  free(text);
  CHECK(utf8, "%s is valid UTF-8", name);
  int rc = table_read(path, t, err, sizeof err);
  CHECK(rc == 0, "%s reads as CSV: %s", name, rc ? err : "ok");
  return rc;
}

static int has_cell(const table_t *t, int col, const char *want) {
  for (size_t r = 0; r < t->n_rows; r++)
    if (strcmp(table_cell(t, r, (size_t)col), want) == 0) return 1;
  return 0;
}

static void test_tables(void) {
  table_t t30, t3, idx, errs;
  if (read_table("features_30_sec.csv", &t30) || read_table("features_3_sec.csv", &t3) ||
      read_table("mel/index.csv", &idx) || read_table("errors.csv", &errs))
    return;
  CHECK(t30.n_rows == N_NAMES && t3.n_rows == 2 * N_NAMES, "one record per file (%zu) and per segment (%zu)",
        t30.n_rows, t3.n_rows);
  CHECK(t30.n_cols == 98 && idx.n_rows == N_NAMES && errs.n_rows == 1, "98 columns, an index row per file, one error");
  int fc = table_column(&t30, "filename"), lc = table_column(&t30, "label"), ok = 1, seg_ok = 1;
  for (size_t i = 0; i < N_NAMES; i++) {
    char want[200], seg[220];
    name_utf8(names[i], want, sizeof want);
    ok &= has_cell(&t30, fc, want);
    snprintf(seg, sizeof seg, "%.*s.1.wav", (int)(strrchr(want, '.') - want), want);
    seg_ok &= has_cell(&t3, fc, seg);
  }
  CHECK(ok, "every name reads back: valid ones unchanged, stray bytes as \\xHH");
  CHECK(seg_ok, "segment rows are named <stem>.<k>.wav from the same names");
  CHECK(has_cell(&t30, lc, "rock") && has_cell(&t30, lc, "jazz"), "labels in the label column");
  CHECK(strstr(table_cell(&errs, 0, 0), "broken\n\\xFF name.wav") != NULL, "errors.csv names the broken file, escaped");
  table_free(&t30), table_free(&t3), table_free(&idx), table_free(&errs);
}

static void test_files_on_disk(void) {
  char path[800];
  int printable = 1, count = 0;
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s/%s", out, k ? "parts" : "mel");
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      count++;
      printable &= utf8_valid(e->d_name);
      for (const unsigned char *p = (const unsigned char *)e->d_name; *p; p++) printable &= *p >= 0x20 && *p != 0x7f;
    }
    if (d) closedir(d);
  }
  CHECK(printable && count > 3 * (int)N_NAMES, "every .npy and part file name is printable UTF-8 (%d files)", count);
  snprintf(path, sizeof path, "%s/extract.err", dir);
  size_t n;
  char *err = slurp(path, &n);
  int lines = 0;
  for (size_t i = 0; err && i < n; i++) lines += err[i] == '\n';
  CHECK(lines == 1 && strstr(err, "broken\\n\\xFF name.wav"), "stderr: the bad file on one line, escaped");
  free(err);
}

/* The whole pipeline over such names: resume, training on both tables, predict's tables. */
static void test_pipeline(void) {
  char a[800], b[800];
  snprintf(a, sizeof a, "%s/features_3_sec.csv", out);
  snprintf(b, sizeof b, "%s/first.csv", dir);
  run("cp %s %s", a, b);
  CHECK(run("%s extract -o %s --resume --no-progress %s >/dev/null 2>&1", genre_bin(), out, in) == 2 &&
        run("cmp -s %s %s", a, b) == 0, "--resume reuses the parts of such names: the same bytes");
  CHECK(run("%s experiment --data %s -o %s/rep --folds 2 --epochs 2 >/dev/null 2>&1", genre_bin(), out, dir) == 0,
        "experiment aligns the table's and the spectrograms' segments (same names)");
  table_t t;
  char path[800], err[600];
  snprintf(path, sizeof path, "%s/rep/predictions.csv", dir);
  CHECK(table_read(path, &t, err, sizeof err) == 0 && t.n_rows == 5 * 2 * N_NAMES,
        "predictions.csv: one record per segment and model (the default five)");
  table_free(&t);
  CHECK(run("%s train cnn --mel %s -o %s/c.model --epochs 1 --quiet >/dev/null 2>&1 && "
            "%s predict -m %s/c.model --format csv %s > %s/p.csv 2>/dev/null; "
            "%s predict -m %s/c.model --format jsonl %s > %s/p.jsonl 2>/dev/null; "
            "%s predict -m %s/c.model --format text %s > %s/p.txt 2>/dev/null",
            genre_bin(), out, dir, genre_bin(), dir, in, dir, genre_bin(), dir, in, dir, genre_bin(), dir, in, dir) == 2,
        "predict over the names (the broken file: exit 2)");
  snprintf(path, sizeof path, "%s/p.csv", dir);
  CHECK(table_read(path, &t, err, sizeof err) == 0 && t.n_rows == N_NAMES, "predict's CSV: a record per file");
  table_free(&t);
  size_t n;
  snprintf(path, sizeof path, "%s/p.jsonl", dir);
  char *s = slurp(path, &n);
  int lines = 0;
  for (size_t i = 0; s && i < n; i++) lines += s[i] == '\n';
  CHECK(s && utf8_valid(s) && lines == (int)N_NAMES && strstr(s, "new\\u000aline.wav"),
        "predict's JSON lines: one per file, valid UTF-8, newline escaped");
  free(s);
  snprintf(path, sizeof path, "%s/p.txt", dir);
  s = slurp(path, &n);
  lines = 0;
  for (size_t i = 0; s && i < n; i++) lines += s[i] == '\n';
  CHECK(s && utf8_valid(s) && lines == (int)N_NAMES && strstr(s, "new\\nline.wav"), "text view: one line per file");
  free(s);
}

int main(void) {
  RUN(test_escapes);
  RUN(setup);
  RUN(test_tables);
  RUN(test_files_on_disk);
  RUN(test_pipeline);
  return check_summary();
}
