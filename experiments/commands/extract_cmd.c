/* genre extract: the extractor (features/extract/) from the command line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "extract.h"
#include "npy.h"

static const char about[] =
    "usage: genre extract -o OUTDIR [-j N] [--resume] [--no-progress] [--mel-dtype f32|f16]\n"
    "                     [--labels FILE.csv] INPUT...\n"
    "       genre extract -o OUTDIR --shard K/N|auto [-j N] [--resume] INPUT...\n"
    "       genre extract -o OUTDIR --merge INPUT...\n"
    "\n"
    "Extracts GTZAN-style features from audio files (wav, aiff, au, flac, ogg, mp3),\n"
    "decoded to 22050 Hz mono, with librosa 0.10.1's recipe.\n"
    "INPUT is a file or a directory (searched recursively for audio files).\n"
    "The label of a file is the name of the directory that holds it, or with\n"
    "--labels the one a table gives it.\n"
    "\n"
    "Writes to OUTDIR:\n"
    "  features_3_sec.csv   one row per full 3-s segment (<stem>.<k>.wav)\n"
    "  features_30_sec.csv  one row per file, over the whole signal\n"
    "  mel/<stem>.npy       log-mel spectrograms, float32 [segments, 128, 130]\n"
    "                       (float16 with --mel-dtype f16)\n"
    "  mel/index.csv        file,label,segments,source,path for every .npy\n"
    "  errors.csv           every input that could not be processed, and why\n"
    "  parts/<stem>.csv     one file's rows and spectrograms, written as soon as it is\n"
    "  parts/<stem>.npy     done (mel/ and the tables are filled at the end): what\n"
    "                       --resume reuses\n"
    "\n"
;

static const char exit_status[] =
    "\n"
    "Exit status: 0 every input processed; 2 some inputs failed (each is a line in\n"
    "errors.csv and on stderr; the rest is written); 1 nothing usable, a usage\n"
    "error, or an output that could not be written (previous outputs are kept);\n"
    "130 / 143 interrupted by SIGINT / SIGTERM: the tables and mel/ are left as they\n"
    "were, the files finished so far are in OUTDIR/parts and --resume continues.\n";


static int mel_dtype(const char *cmd, const char *arg, void *value) {
  static const char *const dtypes[] = {"f32", "f16", NULL};
  int k = cli_choice(cmd, "--mel-dtype", arg, dtypes);
  if (k < 0) return -1;
  *(int *)value = k ? NPY_F16 : NPY_F32;
  return 0;
}

static int shard(const char *cmd, const char *arg, void *value) {
  char err[300];
  if (shard_parse(arg, value, err, sizeof err)) return fprintf(stderr, "genre %s: %s\n", cmd, err), -1;
  return 0;
}

static void usage(FILE *f, const cli_option_t *const *tables) {
  fputs(about, f);
  cli_help(f, tables);
  fputs(exit_status, f);
}

/* 0, 1 after --help, or -1 after printing the problem and the usage. */
static int parse(int argc, char **argv, extract_args_t *a) {
  memset(a, 0, sizeof *a);
  a->jobs = sysconf(_SC_NPROCESSORS_ONLN);
  if (a->jobs < 1) a->jobs = 1;
  a->show_progress = 1;
  a->mel_elem = NPY_F32;
  const cli_option_t opts[] = {
      OPT_STRING('o', "output", &a->outdir, "DIR", "output directory (created if needed)"),
      OPT_LONG('j', "jobs", &a->jobs, 1, 1024, "N",
               "files processed in parallel (default: all cores);\nthe output is byte-identical for any N"),
      OPT_FLAG(0, "resume", &a->resume, 1,
               "reuse the rows of files already done in OUTDIR/parts (same\n"
               "file, size and modification time); the outputs are\n"
               "identical to those of an uninterrupted run"),
      OPT_FLAG(0, "no-progress", &a->show_progress, 0, "no progress bar on stderr"),
      OPT_STRING(0, "labels", &a->labels, "CSV",
                 "each file's label from a table with columns file (a file name\n"
                 "or path as given or found) and label; files it does not list\n"
                 "are reported as failed, not labelled"),
      OPT_CALL(0, "mel-dtype", &a->mel_elem, mel_dtype, "T",
               "f32 (default) or f16: half the disk and reads for the CNN;\nwithin 1/32 dB of f32 (np.load reads both)"),
      OPT_CALL(0, "shard", &a->shard, shard, "K/N",
               "process only shard K of N (a split of the inputs balanced by\n"
               "file size) into OUTDIR/parts, leaving the tables to --merge;\n"
               "--shard auto takes K and N from Open MPI, PMI, Slurm srun or a\n"
               "Slurm job array. Shards may run at once on a shared OUTDIR"),
      OPT_FLAG(0, "merge", &a->merge, 1,
               "assemble the tables, mel/ and errors.csv from the parts alone\n"
               "(nothing is computed): byte for byte a one-process run's, or\n"
               "exit 1 naming the inputs without a whole part"),
      OPT_HELP("  -h, --help           this help"), OPT_END()};
  const cli_option_t *tables[] = {opts, NULL};
  int help, first = cli_parse("extract", argc, argv, tables, &help);
  if (help) return usage(stdout, tables), 1;
  const char *why = first < 0                       ? ""
                    : !a->outdir || !*a->outdir     ? "-o OUTDIR is required"
                    : first >= argc                 ? "no INPUT given"
                    : a->merge && (a->shard.n || a->resume) ? "--merge only assembles; it takes neither --shard nor --resume"
                                                    : NULL;
  if (why) {
    if (*why) fprintf(stderr, "genre extract: %s\n", why), cli_usage_hint("extract");
    return -1;
  }
  a->inputs = argv + first;
  a->n_inputs = argc - first;
  return 0;
}

int extract_main(int argc, char **argv) {
  extract_args_t a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc > 0 ? 0 : 1;
  if (cli_args_only) return 0;
  return extract_run(&a);
}
