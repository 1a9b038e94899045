#include "cli.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_args_only;

int cli_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *v) {
  char *end;
  errno = 0;
  long x = strtol(arg, &end, 10);
  if (errno || end == arg || *end || x < lo || x > hi) {
    fprintf(stderr, "genre %s: %s wants a number from %ld to %ld, not '%s'\n", cmd, opt, lo, hi, arg);
    return -1;
  }
  *v = x;
  return 0;
}

int cli_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *v) {
  long x;
  if (cli_long(cmd, opt, arg, lo, hi, &x)) return -1;
  *v = (int)x;
  return 0;
}

int cli_double(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *v) {
  char *end;
  errno = 0;
  double x = strtod(arg, &end);
  if (errno || end == arg || *end || !isfinite(x) || x < lo || x > hi) {
    fprintf(stderr, "genre %s: %s wants a number from %g to %g, not '%s'\n", cmd, opt, lo, hi, arg);
    return -1;
  }
  *v = x;
  return 0;
}

int cli_choice(const char *cmd, const char *opt, const char *arg, const char *const *words) {
  for (int i = 0; words[i]; i++)
    if (strcmp(arg, words[i]) == 0) return i;
  fprintf(stderr, "genre %s: %s is one of", cmd, opt);
  for (int i = 0; words[i]; i++) fprintf(stderr, "%s %s", i ? "," : "", words[i]);
  fprintf(stderr, "; not '%s'\n", arg);
  return -1;
}

/* Processes of a launcher's job on this machine (1 without one) */
static long local_processes(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_STEP_TASKS_PER_NODE", "PMIX_LOCAL_SIZE"};
  for (int i = 0; i < 3; i++) {
    const char *v = getenv(vars[i]);
    long n = v ? strtol(v, NULL, 10) : 0; /* Slurm's "2(x3)": the first count */
    if (n >= 1) return n;
  }
  return 1;
}

int cli_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1 && CPU_COUNT(&set) < n)
    n = CPU_COUNT(&set); /* bound to some cores (by a launcher, a container): those */
  else
    n /= local_processes(); /* free on every core: a share of them */
  return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}
