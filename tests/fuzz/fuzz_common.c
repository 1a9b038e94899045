#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "outfile.h"

int fuzz_failures;

void fuzz_fail(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
#ifdef FUZZ_REPLAY
  fuzz_failures++;
#else
  abort();
#endif
}

int fuzz_write(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int bad = size && fwrite(data, 1, size, f) != size;
  return fclose(f) != 0 || bad ? -1 : 0;
}

int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len) {
  int fd = memfd_create("fuzz", 0);
  if (fd < 0) return -1;
  for (size_t done = 0; done < size;) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  snprintf(path, len, "/proc/self/fd/%d", fd);
  return fd;
}

static char dir[256];

static void remove_dir(void) {
  if (remove_tree(dir)) fprintf(stderr, "could not remove %s\n", dir);
}

const char *fuzz_dir(void) {
  if (!dir[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/genre-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) abort();
    atexit(remove_dir);
  }
  return dir;
}
