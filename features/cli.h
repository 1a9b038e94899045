/* Shared by every command's argument parsing. */
#ifndef GENRE_CLI_H
#define GENRE_CLI_H

/* When set, a command returns 0 right after its arguments have been parsed and
 * checked, before it reads or writes anything: the CLI fuzz target
 * (tests/fuzz/fuzz_cli.c) runs every parser this way. */
extern int cli_args_only;

#endif
