/* Replays every fuzz target (tests/fuzz/fuzz_*.c) over its kept corpus and
 * every crash the fuzzer ever found (tests/fuzz/corpus/<target>/ and
 * tests/fuzz/regressions/<target>/), so that a fixed finding stays fixed.
 * Under `make test SAN=1` this is the fuzzers' own check: ASan and UBSan. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz/fuzz.h"

int fuzz_audio(const uint8_t *data, size_t size);
int fuzz_table(const uint8_t *data, size_t size);
int fuzz_npy(const uint8_t *data, size_t size);
int fuzz_model(const uint8_t *data, size_t size);
int fuzz_cli(const uint8_t *data, size_t size);
int fuzz_onnx(const uint8_t *data, size_t size);
int fuzz_card(const uint8_t *data, size_t size);
int fuzz_part(const uint8_t *data, size_t size);
int fuzz_split(const uint8_t *data, size_t size);
int fuzz_index(const uint8_t *data, size_t size);
int fuzz_pcm(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  int (*fn)(const uint8_t *, size_t);
} targets[] = {{"audio", fuzz_audio}, {"table", fuzz_table}, {"npy", fuzz_npy}, {"model", fuzz_model}, {"cli", fuzz_cli},
               {"onnx", fuzz_onnx}, {"card", fuzz_card}, {"part", fuzz_part}, {"split", fuzz_split},
               {"index", fuzz_index}, {"pcm", fuzz_pcm}};

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs fn over every file of dir; returns how many, -1 when dir is missing;
 * *bad counts the inputs that violated an invariant (each is named). */
static long replay(const char *dir, const char *target, int (*fn)(const uint8_t *, size_t), long *bad) {
  *bad = 0;
  DIR *d = opendir(dir);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) names = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names); /* the same order every run */
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
      buf = malloc((size_t)size + 1);
      if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) size = -1;
    }
    if (f) fclose(f);
    int before = fuzz_failures;
    if (!buf || size < 0 || fn(buf, (size_t)size) != 0 || fuzz_failures != before) {
      printf("# %s: %s fails\n", target, path);
      ++*bad;
    }
    free(buf);
    free(names[i]);
  }
  free(names);
  return (long)n;
}

int main(void) {
  /* decoders (mpg123) complain about corrupt input on stderr; the sanitizers
   * write to fd 2, which stays open */
  FILE *null = fopen("/dev/null", "w");
  if (null) stderr = null;
  const char *root = getenv("GENRE_FUZZ_DIR");
  if (!root) root = "tests/fuzz";
  for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
    char dir[4096];
    printf("# %s\n", targets[t].name);
    snprintf(dir, sizeof dir, "%s/corpus/%s", root, targets[t].name);
    long bad, corpus = replay(dir, targets[t].name, targets[t].fn, &bad);
    CHECK(corpus > 0, "%s: the kept corpus is there (%ld inputs)", dir, corpus);
    CHECK(bad == 0, "%s: %ld of %ld corpus inputs violate an invariant", targets[t].name, bad, corpus);
    snprintf(dir, sizeof dir, "%s/regressions/%s", root, targets[t].name);
    long crashes = replay(dir, targets[t].name, targets[t].fn, &bad);
    if (crashes >= 0) CHECK(bad == 0, "%s: %ld of %ld past findings fail again", targets[t].name, bad, crashes);
    printf("# %s: %ld corpus inputs, %ld past findings replayed\n", targets[t].name, corpus,
           crashes > 0 ? crashes : 0);
  }
  return check_summary();
}
