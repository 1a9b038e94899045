#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
