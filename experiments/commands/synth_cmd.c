/* genre synth: the synthetic corpus (data/synth.c) from the command line. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "synth.h"

static const char about[] =
    "usage: genre synth -o DIR [--tracks-per-genre N] [--seconds S] [--seed S] [-j N]\n"
    "\n"
    "Writes DIR/genres_original/<genre>/<genre>.NNNNN.wav: 10 synthetic styles\n"
    "(ambient techno chiptune chorale dub noiserock waltz drumline piano gamelan),\n"
    "22050 Hz mono 16-bit. The same options give the same files, byte for byte.\n"
    "Tracks already there with the same length and seed are kept (a rerun\n"
    "completes an interrupted corpus); others are made again, and tracks beyond\n"
    "--tracks-per-genre of an earlier, larger corpus removed (DIR/.synth records\n"
    "the seed and count).\n"
    "\n";

int synth_main(int argc, char **argv) {
  const char *dir = NULL;
  int per_genre = 10;
  long jobs = sysconf(_SC_NPROCESSORS_ONLN);
  double seconds = 30.0;
  unsigned long seed = 1;
  const cli_option_t opts[] = {
      OPT_STRING('o', "output", &dir, "DIR", "where to write (created if needed)"),
      OPT_INT('n', "tracks-per-genre", &per_genre, 1, 99999, "N", "tracks per style (default 10)"),
      OPT_NUMBER(CLI_DOUBLE, 's', "seconds", &seconds, 0.1, 600, CLI_OPEN_LO, "S", "more than 0.1, at most 600",
                 "track length in seconds (default 30)"),
      OPT_NUMBER(CLI_ULONG, 0, "seed", &seed, 0, 0, 0, "S", "a non-negative integer", "random seed (default 1)"),
      OPT_LONG('j', "jobs", &jobs, 1, 1024, "N", "tracks rendered in parallel (default: all cores)"), OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("synth", argc, argv, tables, &help);
  if (help) return fputs(about, stdout), cli_help(stdout, tables), 0;
  if (first >= 0 && (!dir || first < argc)) {
    fprintf(stderr, "genre synth: %s\n", !dir ? "-o DIR is required" : "unexpected argument");
    first = -1, cli_usage_hint("synth");
  }
  if (first < 0) return 1;
  if (cli_args_only) return 0;
  return synth_corpus(dir, per_genre, seconds, seed, jobs);
}
