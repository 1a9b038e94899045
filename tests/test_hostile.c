/* Hostile trees and names: link loops, folders deeper than 64 levels, names
 * whose derived file names would pass 255 bytes, a full disk while the
 * tables are written, and what the reports echo of the labels and paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mel_dataset.h"
#include "names.h"
#include "table.h"

static char dir[4096], g[4096];

/* Rows of a CSV table (libcsv), or -1 when it does not read as one; *valid: every cell is UTF-8 */
static long table_rows(const char *path, int *valid) {
  table_t t;
  char err[4500];
  if (table_read(path, &t, err, sizeof err)) return -1;
  *valid = 1;
  for (size_t i = 0; i < t.n_rows * t.n_cols; i++) *valid &= utf8_valid(t.cells[i]);
  long n = (long)t.n_rows;
  table_free(&t);
  return n;
}

/* a copy of one synthetic recording at path */
static void put_audio(const char *path, int k) {
  run("cp %s/c/genres_original/ambient/ambient.0000%d.wav '%s'", dir, k, path);
}

static void link_loops(void) {
  run("mkdir -p %s/loop/genres/rock %s/loop/genres/jazz", dir, dir);
  char path[4200];
  for (int k = 0; k < 3; k++) {
    snprintf(path, sizeof path, "%s/loop/genres/%s/t%d.wav", dir, k ? "rock" : "jazz", k);
    put_audio(path, k);
  }
  /* two links to the folder they are in and one to its parent: each real file once */
  run("cd %s/loop/genres/rock && ln -s . self && ln -s . again && ln -s .. up", dir);
  int rc = run("cd %s && timeout 60 %s extract -o loop/out --no-progress loop/genres > loop/out.log 2> loop/err.log", dir, g);
  snprintf(path, sizeof path, "%s/loop/out/features_30_sec.csv", dir);
  int valid;
  CHECK(rc == 0 && table_rows(path, &valid) == 3, "extract over three link loops: exit %d, each of the 3 files once", rc);
  snprintf(path, sizeof path, "%s/loop/err.log", dir);
  CHECK(contains(path, "a link loop") && !contains(path, "duplicate") &&
            run("[ $(grep -c 'link loop' %s/loop/err.log) = 1 ]", dir) == 0,
        "the loops are one note, no false duplicates");
  rc = run("cd %s && timeout 60 %s predict -m ann.model --format csv loop/genres > loop/predict.csv 2> /dev/null", dir, g);
  CHECK(rc == 0 && run("[ $(grep -c '\\.wav' %s/loop/predict.csv) = 3 ]", dir) == 0,
        "predict over the same tree: each file once (exit %d)", rc);
}

static void deep_folders(void) {
  char path[8192];
  int n = snprintf(path, sizeof path, "%s/deep/genres", dir);
  for (int level = 0; level < 100; level++) n += snprintf(path + n, sizeof path - n, "/d%02d", level);
  run("mkdir -p %s", path);
  snprintf(path + n, sizeof path - n, "/deep.wav");
  put_audio(path, 0);
  int rc = run("cd %s && %s extract -o deep/out --no-progress deep/genres > deep/out.log 2>&1", dir, g);
  snprintf(path, sizeof path, "%s/deep/out/features_3_sec.csv", dir);
  CHECK(rc == 0 && contains(path, "deep.0.wav,"), "a file 100 folders deep is extracted (exit %d)", rc);
}

static void long_names(void) {
  char path[8192], stem[1024];
  run("mkdir -p %s/long/genres/rock", dir);
  int n = 0;
  for (int i = 0; i < 120; i++) n += snprintf(stem + n, sizeof stem - n, "\xc3\xa9"); /* é: 240 bytes */
  snprintf(stem + n, sizeof stem - n, "0123456789");                                /* 250 */
  snprintf(path, sizeof path, "%s/long/genres/rock/%s.wav", dir, stem);
  put_audio(path, 0);
  n = snprintf(stem, sizeof stem, "latin1-");
  for (int i = 0; i < 83; i++) stem[n++] = (char)(0xe0 + i % 16); /* 90 bytes, none of them UTF-8 */
  stem[n] = '\0';
  snprintf(path, sizeof path, "%s/long/genres/rock/%s.wav", dir, stem);
  put_audio(path, 1);
  snprintf(path, sizeof path, "%s/long/genres/rock/good.wav", dir);
  put_audio(path, 2);
  int rc = run("cd %s && %s extract -o long/out --no-progress long/genres > long/out.log 2>&1", dir, g);
  int valid3 = 0, valid30 = 0, valid_index = 0;
  snprintf(path, sizeof path, "%s/long/out/features_3_sec.csv", dir);
  long rows3 = table_rows(path, &valid3);
  snprintf(path, sizeof path, "%s/long/out/features_30_sec.csv", dir);
  long rows30 = table_rows(path, &valid30);
  snprintf(path, sizeof path, "%s/long/out/mel/index.csv", dir);
  long index = table_rows(path, &valid_index);
  CHECK(rc == 0 && rows30 == 3 && rows3 == 12 && index == 3 && valid3 && valid30 && valid_index,
        "a 250-byte UTF-8 name and a 90-byte non-UTF-8 name beside a good file: exit %d, 3 tracks, 12 segments, every "
        "table valid UTF-8 CSV", rc);
  snprintf(path, sizeof path, "%s/long/out/features_30_sec.csv", dir);
  CHECK(contains(path, "\xc3\xa9\xc3\xa9" "0123456789.wav") && contains(path, "latin1-\\xE0\\xE1"),
        "the tables keep the real names");
  CHECK(run("cd %s/long/out/mel && for f in *.npy; do [ ${#f} -le 255 ] || exit 1; done", dir) == 0,
        "every derived file name within 255 bytes");
  mel_dataset_t d;
  char err[4500];
  snprintf(path, sizeof path, "%s/long/out", dir);
  int ok = mel_dataset_load(path, NULL, 0, &d, err, sizeof err) == 0 && d.n_rows == 12;
  static real x[128 * 130];
  for (size_t r = 0; ok && r < d.n_rows; r++) ok = mel_dataset_read(&d, &r, 1, x, err, sizeof err) == 0;
  if (ok) mel_dataset_free(&d);
  CHECK(ok, "every spectrogram found through mel/index.csv");
  if (run("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0)
    CHECK(run("cd %s/long/out && /usr/bin/python3 -c \"import csv, numpy as np; "
              "r = list(csv.DictReader(open('mel/index.csv', encoding='utf-8'))); "
              "assert len(r) == 3 and all(np.load('mel/' + x['file']).shape == (4, 128, 130) for x in r)\"", dir) == 0,
          "np.load finds each spectrogram through mel/index.csv");
  rc = run("cd %s && %s extract -o long/out --resume --no-progress long/genres > long/resume.log 2>&1 && "
           "grep -q 'resumed 3 files' long/resume.log", dir, g);
  CHECK(rc == 0, "--resume reuses the shortened part files");
}

/* A full disk while the tables are written (a small tmpfs, as root): mel/
 * and the tables stay the previous run's, byte for byte. */
static void full_disk(void) {
  char mnt[4200];
  snprintf(mnt, sizeof mnt, "%s/tmpfs", dir);
  if (getuid() != 0 || run("mkdir -p %s && mount -t tmpfs -o size=24m genre-test %s 2>/dev/null", mnt, mnt) != 0) {
    printf("SKIP a full disk during the table write: needs root to mount a small tmpfs\n");
    return;
  }
  run("mkdir -p %s/in/rock && for k in 0 1 2 3; do cp %s/c/genres_original/ambient/ambient.0000$k.wav %s/in/rock/; done",
      mnt, dir, mnt);
  int rc = run("cd %s && %s extract -o out --no-progress in > /dev/null 2>&1 && cp -a out %s/before", mnt, g, dir);
  CHECK(rc == 0, "a first run on the tmpfs");
  /* one file changes; its new part is written by a shard, then the disk fills and --merge writes the tables */
  run("cp %s/c/genres_original/chorale/chorale.00000.wav %s/in/rock/ambient.00001.wav", dir, mnt);
  rc = run("cd %s && %s extract -o out --shard 1/1 --no-progress in > /dev/null 2>&1", mnt, g);
  CHECK(rc == 0, "the changed file's parts written by a shard");
  run("dd if=/dev/zero of=%s/filler bs=1k count=100000 2> /dev/null; true", mnt);
  rc = run("cd %s && %s extract -o out --merge in > %s/merge.log 2>&1", mnt, g, dir);
  char log[4300];
  snprintf(log, sizeof log, "%s/merge.log", dir);
  CHECK(rc == 1 && contains(log, "No space left"), "--merge on a full disk: exit %d, the reason named", rc);
  CHECK(run("cd %s/before && for f in features_3_sec.csv features_30_sec.csv errors.csv mel/index.csv mel/*.npy; do "
            "cmp -s \"$f\" \"%s/out/$f\" || exit 1; done && [ $(ls %s/out/mel | wc -l) = $(ls mel | wc -l) ]",
            dir, mnt, mnt) == 0,
        "mel/ and the tables: the previous run's, byte for byte");
  run("rm -f %s/filler", mnt);
  rc = run("cd %s && %s extract -o out --merge in > /dev/null 2>&1 && ! cmp -s out/mel/ambient.00001.npy %s/before/mel/"
           "ambient.00001.npy && [ -z \"$(ls -A out/mel | grep '^\\.')\" ]", mnt, g, dir);
  CHECK(rc == 0, "with room again the merge publishes the new set, no temporaries left");
  run("umount %s", mnt);
}

/* experiment -o replaces its directory whole: only a new or empty one or an
 * earlier report, never one holding the data or other files. */
static void output_dirs(void) {
  char path[4300];
  snprintf(path, sizeof path, "%s/rep/err2.log", dir);
  int rc = run("cd %s/rep && %s experiment --data f --epochs 1 -o . > /dev/null 2> err2.log", dir, g);
  CHECK(rc == 1 && contains(path, "holds the data") && run("test -s %s/rep/f/features_3_sec.csv", dir) == 0,
        "-o the folder holding --data: refused, the data untouched (exit %d)", rc);
  rc = run("cd %s/rep && %s experiment --data f --epochs 1 -o g > /dev/null 2> err2.log", dir, g);
  CHECK(rc == 1 && contains(path, "not an earlier report") && run("test -d %s/rep/g/rock", dir) == 0,
        "-o a folder of audio: refused, naming what is in the way (exit %d)", rc);
  rc = run("cd %s/rep && echo x > afile && %s experiment --data f --epochs 1 -o afile > /dev/null 2> err2.log", dir, g);
  CHECK(rc == 1 && contains(path, "a file is in the way"), "-o a file: refused (exit %d)", rc);
}

/* report.md escapes a label Markdown would take as HTML; report.html's audio
 * link is a URL whatever the file name; the report says when a class has
 * fewer tracks than folds, and a McNemar test with nothing discordant says so */
static void reports(void) {
  const char *evil = "<img src=x onerror=alert(1)>";
  run("mkdir -p '%s/rep/g/%s' %s/rep/g/rock", dir, evil, dir);
  char path[4300];
  for (int k = 0; k < 3; k++) {
    snprintf(path, sizeof path, "%s/rep/g/%s/e%d.wav", dir, evil, k), put_audio(path, k);
    snprintf(path, sizeof path, "%s/rep/g/rock/r%d.wav", dir, k);
    run("cp %s/c/genres_original/ambient/ambient.0000%d.wav %s", dir, k + 1, path); /* the same music: confusions */
  }
  snprintf(path, sizeof path, "%s/rep/g/rock/a#b?c%%d\\e.wav", dir); /* a#b?c%d\e.wav */
  run("cp %s/c/genres_original/techno/techno.00003.wav '%s'", dir, path);
  int rc = run("cd %s/rep && %s extract -o f --no-progress g > /dev/null 2>&1 && %s experiment --data f "
               "--ann-epochs 5 --cnn-epochs 1 --folds 4 -o out > out.log 2> err.log", dir, g, g);
  CHECK(rc == 0, "an experiment over a label folder named %s (exit %d)", evil, rc);
  snprintf(path, sizeof path, "%s/rep/out/report.md", dir);
  CHECK(!contains(path, "<img") && contains(path, "&lt;img src=x onerror=alert(1)&gt;") &&
            contains(path, "| &lt;img src=x onerror=alert(1)&gt; → rock |"),
        "report.md writes the label as text (&lt;img ...&gt;), not as HTML, the largest confusions' table too");
  output_dirs();
  snprintf(path, sizeof path, "%s/rep/out/report.html", dir);
  CHECK(contains(path, "a%23b%3Fc%25d%5Ce.wav\""), "report.html's audio src is percent-encoded (a%%23b%%3Fc%%25d%%5Ce.wav)");
  snprintf(path, sizeof path, "%s/rep/err.log", dir);
  CHECK(contains(path, "has 3 tracks for 4 folds"), "fewer tracks than folds: a warning");
  snprintf(path, sizeof path, "%s/rep/out/report.md", dir);
  CHECK(contains(path, "counts the absent class as 0"), "and the report says how macro F1 counts it");
}

/* Smaller things: silence, a WAV cut short, a model cut to 8-15 bytes */
static void small_things(void) {
  char path[4300];
  CHECK(run("cd %s && /usr/bin/python3 -c \"import wave; w = wave.open('quiet.wav', 'wb'); w.setnchannels(1); "
            "w.setsampwidth(2); w.setframerate(22050); w.writeframes(bytes(2 * 22050 * 30)); w.close()\" && "
            "%s predict -m ann.model --format csv quiet.wav > quiet.csv 2>&1 && "
            "head -c 2646044 quiet.wav | tail -c 2646000 | %s predict -m ann.model --stream --format csv - > stream.csv 2>&1",
            dir, g, g) == 0, "30 s of digital silence: predict and --stream");
  snprintf(path, sizeof path, "%s/quiet.csv", dir);
  CHECK(contains(path, "quiet.wav,silence"), "predict says silence for a file whose every segment is silent");
  snprintf(path, sizeof path, "%s/stream.csv", dir);
  CHECK(contains(path, ",silence,"), "as --stream does");
  run("mkdir -p %s/cut/rock && head -c 300000 %s/c/genres_original/ambient/ambient.00000.wav > %s/cut/rock/cut.wav", dir,
      dir, dir);
  int rc = run("cd %s && %s extract -o cut/out --no-progress cut > /dev/null 2> cut/err.log", dir, g);
  snprintf(path, sizeof path, "%s/cut/err.log", dir);
  CHECK(rc == 0 && contains(path, "cut.wav: its header claims 5.20 s more than the file holds"),
        "a WAV whose header claims more than it holds: decoded, and said (exit %d)", rc);
  rc = run("cd %s && head -c 12 ann.model > cut.model && %s evaluate --model cut.model --features f/features_3_sec.csv "
           "> /dev/null 2> cut.log", dir, g);
  snprintf(path, sizeof path, "%s/cut.log", dir);
  CHECK(rc == 1 && contains(path, "truncated genre model file (12 bytes)"), "a model cut to 12 bytes is 'truncated'");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  if (!realpath(genre_bin(), g)) snprintf(g, sizeof g, "%s", genre_bin());
  CHECK(run("cd %s && %s synth -o c -n 4 -s 12 > /dev/null && %s extract -o f --no-progress c > /dev/null 2>&1 && "
            "%s train ann --features f/features_3_sec.csv -o ann.model --epochs 3 --quiet > /dev/null 2>&1",
            dir, g, g, g) == 0, "a synthetic corpus and an ANN");
  RUN(link_loops);
  RUN(deep_folders);
  RUN(long_names);
  RUN(full_disk);
  RUN(reports);
  RUN(small_things);
  return check_summary();
}
