/* The scaffolding every command shares: numeric option values checked with
 * one message form, and the list of audio inputs built from INPUT arguments. */
#ifndef GENRE_CLI_H
#define GENRE_CLI_H

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

/* The cores this process should use (at least 1), the default of every
 * --threads / -j: the CPUs it may run on when a launcher or a container bound
 * it to some, else the machine's cores shared among the launcher's processes
 * on this machine (mpirun, srun). */
int cli_cores(void);

#endif
