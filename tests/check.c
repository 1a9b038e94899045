#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"

int check_passed, check_failed;

void check_report(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    check_passed++;
    return;
  }
  check_failed++;
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL %s:%d: ", file, line);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

int check_summary(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}

const char *shared_dir(const char *why) {
  const char *dir = getenv("GENRE_SHARED");
  if (!dir) dir = "../shared";
  char probe[4096];
  snprintf(probe, sizeof probe, "%s/reference/README.md", dir);
  if (access(probe, R_OK) == 0) return dir;
  printf("SKIP %s: %s not found (the shared references are not in a user's checkout)\n", why, dir);
  return NULL;
}

const char *genre_bin(void) {
  const char *b = getenv("GENRE_BIN");
  return b ? b : "bin/genre";
}

int memcheck(void) {
#if defined(__SANITIZE_ADDRESS__)
  return 1; /* the sanitizer build (CI's second run): the same paths, lighter; make test checks the accuracies */
#else
  const char *m = getenv("GENRE_MEMCHECK");
  return m && *m;
#endif
}

const char *scratch_dir(void) {
  static char dir[512];
  if (dir[0]) return dir;
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/genre-test-XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(2);
  }
  return dir;
}

int run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

int contains(const char *path, const char *needle) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char *text = NULL;
  size_t len = 0, cap = 0, got;
  int found = 0;
  do {
    if (len + 65536 + 1 > cap) {
      char *t = realloc(text, cap = 2 * cap + 65536 + 1);
      if (!t) break;
      text = t;
    }
    got = fread(text + len, 1, 65536, f);
    len += got;
  } while (got > 0);
  fclose(f);
  if (text) {
    text[len] = '\0';
    found = strstr(text, needle) != NULL;
  }
  free(text);
  return found;
}

void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  char *s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (s) s[n] = '\0';
  fclose(f);
  if (len) *len = s ? (size_t)n : 0;
  return s;
}

void mpi_leak_stacks(void) {
  const char *old = getenv("LSAN_OPTIONS");
  char buf[2048];
  snprintf(buf, sizeof buf, "%s%sfast_unwind_on_malloc=0:print_suppressions=0", old ? old : "", old && *old ? ":" : "");
  setenv("LSAN_OPTIONS", buf, 1);
}

double model_gap(const char *a, const char *b) {
  char err[400];
  model_t ma, mb;
  if (model_load(a, 1, &ma, err, sizeof err)) return -1;
  if (model_load(b, 1, &mb, err, sizeof err)) return model_free(&ma), -1;
  double worst = -1;
  if (ma.net->n_params == mb.net->n_params && ma.n_members == mb.n_members) {
    size_t per = ma.net->n_params + ma.net->n_state, n = ma.members ? per * ma.n_members : ma.net->n_params;
    const real *x = ma.members ? ma.members : ma.net->params, *y = mb.members ? mb.members : mb.net->params;
    worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)x[i] - y[i]));
  }
  model_free(&ma), model_free(&mb);
  return worst;
}
