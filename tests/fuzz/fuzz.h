/* Fuzz targets: one per loader. Built two ways:
 *   - by `make fuzz` with clang -fsanitize=fuzzer,address,undefined, where each
 *     target is LLVMFuzzerTestOneInput of its own binary;
 *   - by `make test` (with -DFUZZ_REPLAY), where tests/test_fuzz.c runs every
 *     target over its kept corpus and every crash ever found
 *     (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/).
 * FUZZ_REQUIRE states what must hold for any input: under the fuzzer a
 * violation aborts (a finding); in the replay test it is a failed check. */
#ifndef GENRE_FUZZ_H
#define GENRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name) int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

#define FUZZ_REQUIRE(cond)                                      \
  do {                                                          \
    if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond);          \
  } while (0)

void fuzz_fail(const char *file, int line, const char *what);
extern int fuzz_failures; /* replay: violations so far */

/* The bytes as a file that loaders open by path: a memfd, at
 * /proc/self/fd/<fd>. Returns the fd (close it when done) or -1. */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len);

/* A private scratch directory for targets that need several files. */
const char *fuzz_dir(void);

/* Writes bytes to path (whole). 0 or -1. */
int fuzz_write(const char *path, const void *data, size_t size);

#endif
