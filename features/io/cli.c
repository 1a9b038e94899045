#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
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

/* --- option tables ------------------------------------------------------- */

#define CLI_MAX_OPTIONS 128

static int bad_value(const char *cmd, const cli_option_t *o, const char *arg) {
  if (o->want) fprintf(stderr, "genre %s: --%s wants %s, not '%s'\n", cmd, o->long_name, o->want, arg);
  else if (o->type == CLI_FLOAT || o->type == CLI_DOUBLE)
    fprintf(stderr, "genre %s: --%s wants a number from %g to %g, not '%s'\n", cmd, o->long_name, o->lo, o->hi, arg);
  else
    fprintf(stderr, "genre %s: --%s wants a number from %.0f to %.0f, not '%s'\n", cmd, o->long_name, o->lo, o->hi,
            arg);
  return -1;
}

static int in_range(const cli_option_t *o, double x) {
  if (!(o->flags & CLI_OPEN_LO) ? x < o->lo : x <= o->lo) return 0;
  if (!(o->flags & CLI_OPEN_HI) ? x > o->hi : x >= o->hi) return 0;
  return 1;
}

/* One option's value stored through o->value. 0, or -1 after printing. */
static int apply(const char *cmd, const cli_option_t *o, const char *arg) {
  char *end = NULL;
  errno = 0;
  switch (o->type) {
  case CLI_FLAG: *(int *)o->value = (int)o->lo; return 0;
  case CLI_STRING: *(const char **)o->value = arg; return 0;
  case CLI_CALL: return o->call(cmd, arg, o->value);
  case CLI_INT:
  case CLI_LONG: {
    long x = strtol(arg, &end, 10);
    if (errno || end == arg || *end || !in_range(o, (double)x)) return bad_value(cmd, o, arg);
    if (o->type == CLI_INT) *(int *)o->value = (int)x;
    else *(long *)o->value = x;
    return 0;
  }
  case CLI_ULONG: {
    unsigned long x = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-') return bad_value(cmd, o, arg);
    *(unsigned long *)o->value = x;
    return 0;
  }
  case CLI_FLOAT: {
    float x = strtof(arg, &end); /* straight to float: no double rounding */
    if (end == arg || *end || !isfinite(x) || !in_range(o, x)) return bad_value(cmd, o, arg);
    *(float *)o->value = x;
    return 0;
  }
  case CLI_DOUBLE: {
    double x = strtod(arg, &end);
    if (end == arg || *end || !isfinite(x) || !in_range(o, x)) return bad_value(cmd, o, arg);
    *(double *)o->value = x;
    return 0;
  }
  default: return -1;
  }
}

/* The tables flattened, with getopt_long's table and short-option string. */
typedef struct cli_set {
  const cli_option_t *opt[CLI_MAX_OPTIONS];
  struct option gl[CLI_MAX_OPTIONS + 2];
  char shorts[2 * CLI_MAX_OPTIONS + 4];
  int n;
} cli_set_t;

static void cli_set_build(cli_set_t *s, const cli_option_t *const *tables) {
  int n = 0, ns = 0;
  s->shorts[ns++] = ':'; /* a missing value returns ':', an unknown option '?': we say which */
  s->shorts[ns++] = 'h';
  for (int t = 0; tables[t]; t++)
    for (const cli_option_t *o = tables[t]; o->type != CLI_END && n < CLI_MAX_OPTIONS; o++) {
      if (!o->long_name) continue;
      s->opt[n] = o;
      s->gl[n] = (struct option){o->long_name, o->arg ? required_argument : no_argument, NULL, 1000 + n};
      if (o->short_name) {
        s->shorts[ns++] = (char)o->short_name;
        if (o->arg) s->shorts[ns++] = ':';
      }
      n++;
    }
  s->gl[n] = (struct option){"help", no_argument, NULL, 'h'};
  s->gl[n + 1] = (struct option){0, 0, 0, 0};
  s->shorts[ns] = 0;
  s->n = n;
}

static int short_index(const cli_set_t *s, int c) {
  for (int i = 0; i < s->n; i++)
    if (s->opt[i]->short_name == c) return i;
  return -1;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_option_t *const *tables, int *help) {
  cli_set_t s;
  cli_set_build(&s, tables);
  int *which = malloc((size_t)(argc + 1) * sizeof *which);
  char **args = malloc((size_t)(argc + 1) * sizeof *args);
  if (!which || !args) return free(which), free(args), fprintf(stderr, "genre %s: out of memory\n", cmd), -1;
  *help = 0;
  int n = 0, c, unknown = 0;
  optind = 0; /* full reset of getopt's state: a parser may run more than once */
  opterr = 0;
  while ((c = getopt_long(argc, argv, s.shorts, s.gl, NULL)) != -1) {
    int i = c >= 1000 ? c - 1000 : c == 'h' || c == '?' || c == ':' ? -1 : short_index(&s, c);
    if (c == 'h') *help = 1;
    if ((c == '?' || c == ':') && !unknown++) {
      const char *what = argv[optind - 1 < argc ? optind - 1 : argc - 1];
      if (c == ':') fprintf(stderr, "genre %s: %s wants a value\n", cmd, what);
      else if (optopt && what[0] == '-' && what[1] != '-') fprintf(stderr, "genre %s: unknown option -%c\n", cmd, optopt);
      else fprintf(stderr, "genre %s: unknown option '%s'\n", cmd, what);
    }
    if (i < 0) continue;
    which[n] = i, args[n++] = optarg;
  }
  int rc = unknown && !*help ? -1 : optind;
  for (int pass = 0; pass < 2 && !*help && rc >= 0; pass++) /* CLI_FIRST ones, then the others */
    for (int k = 0; k < n && rc >= 0; k++)
      if ((!(s.opt[which[k]]->flags & CLI_FIRST)) == pass && apply(cmd, s.opt[which[k]], args[k])) rc = -1;
  free(which), free(args);
  if (rc < 0) cli_usage_hint(cmd);
  return rc;
}

void cli_usage_hint(const char *cmd) { fprintf(stderr, "(genre %s --help lists the options)\n", cmd); }

void cli_help(FILE *f, const cli_option_t *const *tables) {
  for (int t = 0; tables[t]; t++)
    for (const cli_option_t *o = tables[t]; o->type != CLI_END; o++) {
      char head[64];
      if (!o->long_name) head[0] = 0;
      else if (o->short_name)
        snprintf(head, sizeof head, "-%c, --%s%s%s", o->short_name, o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
      else snprintf(head, sizeof head, "--%s%s%s", o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
      const char *h = o->help ? o->help : "";
      if (o->type == CLI_HELP) { fprintf(f, "%s\n", h); continue; }
      int len = (int)strcspn(h, "\n");
      if ((int)strlen(head) > 20) fprintf(f, "  %s\n  %-20s %.*s\n", head, "", len, h);
      else fprintf(f, "  %-20s %.*s\n", head, len, h);
      for (h += len; *h == '\n'; h += len) {
        h++;
        len = (int)strcspn(h, "\n");
        fprintf(f, "  %-20s %.*s\n", "", len, h);
      }
    }
}
