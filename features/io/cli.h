/* The scaffolding every command shares: numeric option values checked with
 * one message form, and the list of audio inputs built from INPUT arguments. */
#ifndef GENRE_CLI_H
#define GENRE_CLI_H

#include <stdio.h>

/* When set, a command returns 0 right after its arguments have been parsed and
 * checked, before it reads or writes anything: the CLI fuzz target
 * (tests/fuzz/fuzz_cli.c) runs every parser this way. */
extern int cli_args_only;

/* An integer option value in [lo, hi]: 0, or -1 after printing
 * "genre CMD: OPT wants a number from LO to HI, not 'ARG'". */
int cli_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *v);
int cli_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, int *v);
/* A real option value in [lo, hi], the same way. */
int cli_double(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *v);
/* One of the words of a NULL-terminated list: its index, or -1 after printing. */
int cli_choice(const char *cmd, const char *opt, const char *arg, const char *const *words);

/* Options declared once, as git's parse-options tables: one entry per option
 * gives the getopt table, the parsing (the value checked and stored through
 * `value`) and the help line. A command lists its tables (its own, then shared
 * ones such as the training options), NULL-terminated:
 *
 *   int epochs = 10, quiet = 0;
 *   const cli_option_t opts[] = {
 *       OPT_INT(0, "epochs", &epochs, 1, 1000, "N", "most epochs (default 10)"),
 *       OPT_FLAG(0, "quiet", &quiet, 1, "no per-epoch lines"), OPT_END()};
 *   const cli_option_t *tables[] = {opts, NULL};
 *   int first = cli_parse("train", argc, argv, tables, &help);
 */
enum cli_type { CLI_END, CLI_FLAG, CLI_INT, CLI_LONG, CLI_ULONG, CLI_FLOAT, CLI_DOUBLE, CLI_STRING, CLI_CALL, CLI_HELP };
enum { CLI_OPEN_LO = 1, CLI_OPEN_HI = 2, CLI_FIRST = 4 }; /* open bounds; applied before the others */

typedef struct cli_option {
  enum cli_type type;
  int short_name;        /* 'o', or 0 */
  const char *long_name; /* "output" (NULL: a help line alone) */
  void *value;           /* int *, long *, unsigned long *, float *, double *, const char **, or the callback's */
  double lo, hi;         /* range of a number; for a flag, lo is the value set */
  const char *arg;       /* the value's name in the help ("N"); NULL: no value */
  const char *help;      /* its help, lines after the first indented */
  const char *want;      /* the error's "--X wants ..." ("a positive count"); NULL: "a number from LO to HI" */
  int flags;             /* CLI_OPEN_LO, CLI_OPEN_HI, CLI_FIRST */
  int (*call)(const char *cmd, const char *arg, void *value); /* CLI_CALL: 0, or -1 after printing */
} cli_option_t;

#define OPT_END() {CLI_END, 0, NULL, NULL, 0, 0, NULL, NULL, NULL, 0, NULL}
#define OPT_FLAG(s, l, v, set, h) {CLI_FLAG, s, l, v, set, 0, NULL, h, NULL, 0, NULL}
#define OPT_INT(s, l, v, lo, hi, a, h) {CLI_INT, s, l, v, lo, hi, a, h, NULL, 0, NULL}
#define OPT_LONG(s, l, v, lo, hi, a, h) {CLI_LONG, s, l, v, lo, hi, a, h, NULL, 0, NULL}
#define OPT_STRING(s, l, v, a, h) {CLI_STRING, s, l, v, 0, 0, a, h, NULL, 0, NULL}
#define OPT_CALL(s, l, v, fn, a, h) {CLI_CALL, s, l, v, 0, 0, a, h, NULL, 0, fn}
#define OPT_HELP(h) {CLI_HELP, 0, NULL, NULL, 0, 0, NULL, h, NULL, 0, NULL}
/* a number with its own message and bounds: OPT_NUMBER(CLI_FLOAT, 0, "dropout", &p, 0, 1, CLI_OPEN_HI, "P",
 * "0 <= P < 1", "dropout after each hidden layer") */
#define OPT_NUMBER(t, s, l, v, lo, hi, fl, a, want, h) {t, s, l, v, lo, hi, a, h, want, fl, NULL}

/* Parses argv (argv[0] is the command's name) against the tables: CLI_FIRST
 * options are applied first, then the others in their order. *help is set by
 * -h / --help (nothing else is applied then). Returns the index of the first
 * operand, or -1 after printing the problem. getopt's state is reset first. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_option_t *const *tables, int *help);
/* The tables' help lines: "  -o, --output FILE    help", continuation lines
 * aligned under the help. */
void cli_help(FILE *f, const cli_option_t *const *tables);

/* After a usage error (its own line already on stderr): one line pointing at
 * `genre CMD --help`, not the whole help, so the error stays on screen.
 * cli_parse prints it after the errors it finds. */
void cli_usage_hint(const char *cmd);

/* The cores this process should use (at least 1), the default of every
 * --threads / -j: the CPUs it may run on when a launcher or a container bound
 * it to some, else the machine's cores shared among the launcher's processes
 * on this machine (mpirun, srun). */
int cli_cores(void);

#endif
