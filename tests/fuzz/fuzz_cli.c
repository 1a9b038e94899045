/* Every command's argument parsing: the input is split at NUL bytes into
 * argv and dispatched as `genre <args>`, with cli_args_only set so that a
 * command stops once its arguments are checked (nothing is read or written). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "fuzz.h"

#define MAX_ARGS 64

FUZZ_TARGET(cli) {
  if (size > 4096) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  argv[argc++] = "genre";
  for (size_t i = 0; i <= size && argc < MAX_ARGS + 1;) {
    argv[argc++] = text + i;
    i += strlen(text + i) + 1;
  }
  argv[argc] = NULL;
  cli_args_only = 1;
  FILE *saved_out = stdout, *saved_err = stderr;
  static FILE *null;
  if (!null) null = fopen("/dev/null", "w");
  if (null) stdout = stderr = null; /* usage texts and complaints are not the point */
  int rc = genre_dispatch(argc, argv);
  stdout = saved_out, stderr = saved_err;
  cli_args_only = 0;
  FUZZ_REQUIRE(rc >= 0 && rc <= 2);
  free(text);
  return 0;
}
