/* A minimal test harness. Every CHECK counts as one assertion; a test binary
 * ends with the line "N passed, N failed" (make test adds them up). Tests that
 * need ../shared call shared_dir(), which returns NULL and prints a SKIP line
 * when it is absent. */
#ifndef GENRE_CHECK_H
#define GENRE_CHECK_H

#include <math.h>
#include <stdio.h>

extern int check_passed, check_failed;

void check_report(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol, what)                                                          \
  do {                                                                                       \
    double a_ = (a), b_ = (b);                                                               \
    check_report(fabs(a_ - b_) <= (tol), __FILE__, __LINE__, "%s: %.10g vs %.10g (tol %g)", \
                 what, a_, b_, (double)(tol));                                               \
  } while (0)

/* Runs a test function, printing its name. */
#define RUN(fn)                                        \
  do {                                                 \
    printf("# %s\n", #fn);                             \
    fn();                                              \
  } while (0)

/* Last line of the binary; returns its exit status. */
int check_summary(void);

/* Path of the shared reference directory (../shared, or $GENRE_SHARED), or
 * NULL after printing "SKIP <why>: ..." when it is missing. */
const char *shared_dir(const char *why);

/* The references a user's checkout carries (tests/reference/shared: the
 * synthetic signals with their librosa 0.10.1 values and the PyTorch dumps,
 * laid out as ../shared is; see its README). */
#define LOCAL_SHARED "tests/reference/shared"

/* Path of the genre binary under test ($GENRE_BIN, default bin/genre). */
const char *genre_bin(void);

/* 1 under make valgrind (GENRE_MEMCHECK set) and in the sanitizer build:
 * tests that train networks shrink their folds and epochs to what memcheck
 * (or ASan) can run in minutes, and leave the checks of how well they learn
 * to make test. */
int memcheck(void);

/* The worst |difference| between the parameters of two model files (every
 * member's); -1 when one is unreadable or their shapes differ. */
double model_gap(const char *a, const char *b);

/* Under the sanitizers: leak reports with full stacks, so that
 * tests/fuzz/lsan.supp can name Open MPI's libraries (whose plugins are gone
 * by exit). For the tests that run mpirun and srun. */
void mpi_leak_stacks(void);

/* A fresh empty directory under $TMPDIR for this test binary. */
const char *scratch_dir(void);

/* Runs a shell command (printf-style): its exit status, or 128 + the signal
 * that ended it. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 1 when the file exists and contains needle. */
int contains(const char *path, const char *needle);

/* A whole file, NUL-terminated (its length in *len when len is not NULL); NULL when unreadable. */
char *slurp(const char *path, size_t *len);

/* Writes n bytes to path (replacing it). */
void write_bytes(const char *path, const void *data, size_t n);

#endif
