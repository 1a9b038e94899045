/* bin/genre: one executable, git-style subcommands. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dist.h"
#include "outfile.h"

/* Debian's OpenBLAS 0.3.21 does not know recent Xeons (e.g. Emerald Rapids,
 * family 6 model 207) and falls back to its generic "Prescott" kernels, several
 * times slower. When the CPU has AVX-512 (or AVX2) and the user has not chosen,
 * restart once with the matching core type; OpenBLAS reads it at load time. */
extern char *openblas_get_corename(void) __attribute__((weak));
static void select_openblas_core(char **argv) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (!openblas_get_corename || getenv("OPENBLAS_CORETYPE") || getenv("GENRE_NO_REEXEC")) return;
  const char *core = openblas_get_corename();
  if (!core || strcasecmp(core, "prescott") != 0) return;
  __builtin_cpu_init();
  const char *want = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                     : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                       : NULL;
  if (!want) return;
  setenv("OPENBLAS_CORETYPE", want, 1);
  setenv("GENRE_NO_REEXEC", "1", 1);
  execv("/proc/self/exe", argv); /* on failure, carry on with the generic kernels */
#else
  (void)argv;
#endif
}

/* SIGINT / SIGTERM: remove the temporaries of unfinished outputs (the files
 * they would replace stay as they were), then die of the signal as usual.
 * extract installs its own handler, which also keeps finished work. */
static void on_signal(int sig) {
  outfile_abort_all_signal_safe();
  signal(sig, SIG_DFL);
  raise(sig);
}

int main(int argc, char **argv) {
  select_openblas_core(argv);
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (argc == 2 && strcmp(argv[1], "--blas-core") == 0) { /* for make bench: the core type chosen */
    const char *c = getenv("OPENBLAS_CORETYPE");
    printf("%s\n", c ? c : openblas_get_corename ? openblas_get_corename() : "unknown");
    return 0;
  }
  int rc = genre_dispatch(argc, argv);
  dist_finish(rc);
  return rc;
}
