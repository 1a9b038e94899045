/* Recordings of any length: the streamed analysis equals the in-memory one
 * (segments always, the whole-recording row up to RECORDING_EXACT_SECONDS);
 * beyond, the row pooled from windows stays close to the exact one (measured
 * here on a 10-minute recording); a multi-hour file is extracted in bounded
 * memory; headers claiming absurd lengths are still refused. */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "audio.h"
#include "check.h"
#include "extract.h"
#include "recording.h"

/* Under the sanitizers or valgrind (memcheck(): 5-10x and more slower) the
 * same paths on shorter signals; there, the RSS bound is the checker's own. */
static int TRACKS = 20;      /* 10 minutes (4: 2 minutes) */
static int WINDOW = 180;     /* seconds: windows of the pooled row (30) */
static int MINUTES = 180;    /* the long extraction (12: past the 5 minutes of exact rows) */
static int RSS_BOUND = 200;  /* MB (1000: the checker's allocator and shadow memory) */

static char dir[600], long_wav[700];
static size_t long_samples;

/* 10 minutes of the synthetic corpus's 20 styles back to back. */
static void setup(void) {
  if (memcheck()) TRACKS = 4, WINDOW = 30, MINUTES = 12, RSS_BOUND = 1000;
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  snprintf(long_wav, sizeof long_wav, "%s/ten_minutes.wav", dir);
  CHECK(run("%s synth -o %s/corpus -n 2 -s 30 >/dev/null", genre_bin(), dir) == 0, "synth");
  SF_INFO out = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *w = sf_open(long_wav, SFM_WRITE, &out);
  static const char *const styles[] = {"ambient", "techno", "chiptune", "chorale", "dub",
                                       "noiserock", "waltz", "drumline", "piano", "gamelan"};
  float buf[4096];
  for (int k = 0; k < 2; k++)
    for (int g = 0; g < 10 && k * 10 + g < TRACKS; g++) {
      char path[900];
      snprintf(path, sizeof path, "%s/corpus/genres_original/%s/%s.%05d.wav", dir, styles[g], styles[g], k);
      SF_INFO info = {0};
      SNDFILE *r = sf_open(path, SFM_READ, &info);
      sf_count_t got;
      while (r && (got = sf_readf_float(r, buf, 4096)) > 0) long_samples += (size_t)sf_writef_float(w, buf, got);
      sf_close(r);
    }
  sf_close(w);
  CHECK(long_samples == (size_t)TRACKS * 30 * 22050, "a %d-minute recording (%zu samples)", TRACKS / 2, long_samples);
}

typedef struct seg_check {
  const float *x;
  analysis_t *an;
  double row[FEATURE_COUNT];
  float mel[MEL_BANDS * SEGMENT_FRAMES], ref_mel[MEL_BANDS * SEGMENT_FRAMES];
  size_t segments;
  int equal;
} seg_check_t;

static void compare_pooled(const char *wav, const double *exact, const char *what);

static int compare_segment(void *ctx, size_t k, const double *row, const float *mel) {
  seg_check_t *s = ctx;
  if (k % 20 == 0) { /* every 20th segment against the in-memory analysis of its samples */
    analysis_run(s->an, s->x + k * SEGMENT_SAMPLES, SEGMENT_SAMPLES, s->row, s->ref_mel);
    s->equal &= memcmp(row, s->row, sizeof s->row) == 0 && memcmp(mel, s->ref_mel, sizeof s->ref_mel) == 0;
  }
  s->segments++;
  return 0;
}

static void test_streamed_equals_in_memory(void) {
  audio_buf_t audio = {0};
  char err[600];
  CHECK(audio_load(long_wav, &audio, err, sizeof err) == 0, "loaded whole");
  analysis_t *an = analysis_new(0);
  double exact[FEATURE_COUNT], streamed[FEATURE_COUNT];
  CHECK(analysis_run(an, audio.x, audio.n, exact, NULL) == 0, "in-memory analysis");
  recording_t *rec = recording_new(600, 0); /* the whole recording in memory: the exact path */
  seg_check_t s = {.x = audio.x, .an = an, .equal = 1};
  recording_info_t info;
  int rc = recording_run(rec, long_wav, 1, streamed, compare_segment, &s, &info, err, sizeof err);
  CHECK(rc == 0 && info.segments == (size_t)TRACKS * 10 && s.segments == (size_t)TRACKS * 10 && !info.windowed,
        "streamed: %d segments, exact row", TRACKS * 10);
  CHECK(s.equal, "streamed segments: rows and log-mels bit for bit those of the in-memory analysis");
  CHECK(memcmp(exact, streamed, sizeof exact) == 0, "the whole-recording row bit for bit the in-memory one");

  compare_pooled(long_wav, exact, "synthetic");
  recording_free(rec);
  analysis_free(an);
  audio_buf_free(&audio);
}

/* The recording at `wav` pooled from two 5-minute windows, as a longer one
 * would be, against its exact row. */
static void compare_pooled(const char *wav, const double *exact, const char *what) {
  char err[600];
  recording_t *win = recording_new(1, WINDOW);
  double pooled[FEATURE_COUNT];
  recording_info_t info;
  int rc = recording_run(win, wav, 0, pooled, NULL, NULL, &info, err, sizeof err);
  CHECK(rc == 0 && info.windowed, "%s: pooled from windows", what);
  /* error of each column: relative, except means (which can sit near zero)
   * against their column's spread, as test_parity judges harmony_mean */
  double worst = 0, sum = 0;
  int worst_col = 0;
  for (int c = 0; c < FEATURE_COUNT; c++) {
    int is_mean = c != F_TEMPO && (c < F_TEMPO ? c % 2 == 0 : (c - F_MFCC) % 2 == 0);
    double scale = is_mean ? fmax(fabs(exact[c]), sqrt(exact[c + 1])) : fabs(exact[c]);
    double e = fabs(pooled[c] - exact[c]) / fmax(scale, 1e-12);
    sum += e;
    if (e > worst) worst = e, worst_col = c;
    if (e > 1e-6) printf("#   %-24s exact %-12.6g pooled %-12.6g error %.2e\n", feature_name(c), exact[c], pooled[c], e);
  }
  printf("# %s, %d min pooled from %d-s windows vs exact: mean error %.2e, worst %.2e (%s); tempo %.2f vs %.2f\n",
         what, TRACKS / 2, WINDOW, sum / FEATURE_COUNT, worst, feature_name(worst_col), pooled[F_TEMPO], exact[F_TEMPO]);
  CHECK(pooled[F_TEMPO] == exact[F_TEMPO], "%s: pooled tempo equals the exact one (%.2f)", what, pooled[F_TEMPO]);
  CHECK(sum / FEATURE_COUNT <= 1e-4 && worst <= 1e-3, "%s: pooled row within 1e-4 on average, 1e-3 at worst (%.2e, %.2e)",
        what, sum / FEATURE_COUNT, worst);
  recording_free(win);
}

/* 10 minutes of real music (the first 20 tracks of gtzan_mini), when ../shared is there. */
static void test_pooled_real_music(void) {
  const char *shared = shared_dir("real music for the pooled-row error");
  if (!shared) return;
  char wav[800], list[800], err[600];
  snprintf(wav, sizeof wav, "%s/gtzan_ten_minutes.wav", dir);
  snprintf(list, sizeof list, "find %s/data/gtzan_mini/genres_original -name '*.wav' | sort | head -n %d", shared,
           TRACKS);
  FILE *names = popen(list, "r");
  SF_INFO out = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  SNDFILE *w = sf_open(wav, SFM_WRITE, &out);
  char path[900];
  float buf[4096];
  while (names && fgets(path, sizeof path, names)) {
    path[strcspn(path, "\n")] = '\0';
    SF_INFO info = {0};
    SNDFILE *r = sf_open(path, SFM_READ, &info);
    sf_count_t got;
    while (r && (got = sf_readf_float(r, buf, 4096)) > 0) sf_writef_float(w, buf, got);
    sf_close(r);
  }
  if (names) pclose(names);
  sf_close(w);
  audio_buf_t audio = {0};
  analysis_t *an = analysis_new(0);
  double exact[FEATURE_COUNT];
  CHECK(audio_load(wav, &audio, err, sizeof err) == 0 && audio.n > (size_t)TRACKS * 29 * 22050 &&
        analysis_run(an, audio.x, audio.n, exact, NULL) == 0, "gtzan_mini: 10 minutes, exact row");
  compare_pooled(wav, exact, "gtzan_mini");
  analysis_free(an);
  audio_buf_free(&audio);
}

static long peak_rss_mb(const char *log) {
  FILE *f = fopen(log, "r");
  char line[1000];
  long mb = -1;
  while (f && fgets(line, sizeof line, f)) {
    char *p = strstr(line, "peak RSS ");
    if (p) mb = atol(p + 9);
  }
  if (f) fclose(f);
  return mb;
}

/* A long file, written on the fly: the test recording repeated; `minutes` of it. */
static void write_long(const char *path, int minutes) {
  SF_INFO in = {0}, out = {.samplerate = 22050, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
  SNDFILE *w = sf_open(path, SFM_WRITE, &out);
  static float buf[1 << 16];
  int per = (int)(long_samples / (60 * 22050)); /* minutes in the test recording */
  for (int rep = 0; rep * per < minutes; rep++) {
    SNDFILE *r = sf_open(long_wav, SFM_READ, &in);
    sf_count_t got, left = (sf_count_t)(minutes - rep * per < per ? minutes - rep * per : per) * 60 * 22050;
    if (left > (sf_count_t)long_samples) left = (sf_count_t)long_samples;
    while (r && left > 0 && (got = sf_readf_float(r, buf, left < (1 << 16) ? left : (1 << 16))) > 0)
      sf_writef_float(w, buf, got), left -= got;
    sf_close(r);
  }
  sf_close(w);
}

static void test_hours_in_bounded_memory(void) {
  int minutes = MINUTES;
  char wav[800], log[800], table[800];
  snprintf(wav, sizeof wav, "%s/long/%d_minutes.wav", dir, minutes);
  snprintf(log, sizeof log, "%s/long.log", dir);
  snprintf(table, sizeof table, "%s/out/features_3_sec.csv", dir);
  run("mkdir -p %s/long", dir);
  write_long(wav, minutes);
  int rc = run("%s extract -o %s/out -j 2 --no-progress %s/long > %s 2>&1", genre_bin(), dir, dir, log);
  CHECK(rc == 0, "a %d-minute file is extracted (exit %d)", minutes, rc);
  long mb = peak_rss_mb(log);
  CHECK(mb > 0 && mb <= RSS_BOUND, "peak RSS %ld MB for %d minutes (bound %d MB, independent of the length)", mb, minutes,
        RSS_BOUND);
  CHECK(run("test $(wc -l < %s) -eq %d", table, 1 + minutes * 20) == 0, "%d segment rows", minutes * 20);
  CHECK(run("head -c 200 %s/out/mel/%d_minutes.npy | grep -q \"'shape': (%d, 128, 130\"", dir, minutes, minutes * 20) == 0,
        "the .npy header states every segment");
  run("rm -f %s", wav); /* not kept */
}

int main(void) {
  RUN(setup);
  if (check_failed) return check_summary();
  RUN(test_streamed_equals_in_memory);
  RUN(test_pooled_real_music);
  RUN(test_hours_in_bounded_memory);
  return check_summary();
}
