/* extract --shard K/N and --merge: shards run at once on one OUTDIR, each
 * input in exactly one shard (balanced by size), the merge assembles outputs
 * byte for byte those of a one-process run, refuses while parts are missing,
 * and --shard auto reads Open MPI's, PMI's and Slurm's variables. */
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char dir[600];

static int same_outputs(const char *a, const char *b) {
  return run("cd %s && for f in features_3_sec.csv features_30_sec.csv errors.csv mel/index.csv mel/*.npy; do "
             "cmp -s \"$f\" \"%s/$f\" || exit 1; done; [ $(ls mel | wc -l) = $(ls %s/mel | wc -l) ]", a, b, b) == 0;
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  const char *g = genre_bin();
  CHECK(run("%s synth -o %s/c -n 2 -s 7 >/dev/null && printf 'not audio' > %s/c/genres_original/dub/bad.wav", g, dir,
            dir) == 0, "a corpus of 20 tracks and a bad file");
  CHECK(run("%s extract -o %s/one --no-progress %s/c > /dev/null 2>&1", g, dir, dir) == 2, "one process: exit 2 (the bad file)");
  /* three shards at once, then the merge */
  int rc = run("for k in 1 2 3; do %s extract -o %s/multi --shard $k/3 -j 1 --no-progress %s/c > %s/shard$k.log 2>&1 & done; "
               "wait", g, dir, dir, dir);
  CHECK(rc == 0, "three shards at once on one OUTDIR");
  CHECK(run("n=0; for k in 1 2 3; do m=$(grep -o 'of its [0-9]* files' %s/shard$k.log | grep -o '[0-9]*'); n=$((n + m)); "
                "done; [ $n = 21 ]", dir) == 0,
        "every input in exactly one shard (21 in all)");
  CHECK(run("[ ! -e %s/multi/features_3_sec.csv ]", dir) == 0, "shards write no table");
  CHECK(run("%s extract -o %s/multi --merge %s/c > %s/merge.log 2>&1", g, dir, dir, dir) == 2, "merge: exit 2 (the bad file)");
  char a[700], b[700];
  snprintf(a, sizeof a, "%s/one", dir);
  snprintf(b, sizeof b, "%s/multi", dir);
  CHECK(same_outputs(a, b), "merged tables, index, errors.csv and spectrograms: byte for byte the one-process run's");
  /* a merge while a shard's parts are missing */
  run("%s extract -o %s/half --shard 1/2 --no-progress %s/c > /dev/null 2>&1", g, dir, dir);
  snprintf(a, sizeof a, "%s/half.log", dir);
  rc = run("%s extract -o %s/half --merge %s/c > %s 2>&1", g, dir, dir, a);
  CHECK(rc == 1 && contains(a, "no whole part") && contains(a, "nothing written"), "merge with missing parts: exit 1, naming them");
  CHECK(run("[ ! -e %s/half/features_3_sec.csv ]", dir) == 0, "nothing written");
  /* launchers */
  CHECK(run("OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 %s extract -o %s/auto --shard auto --no-progress %s/c 2>/dev/null | "
            "grep -q 'shard 2 of 2'", g, dir, dir) == 0, "--shard auto under Open MPI: rank 1 of 2 is shard 2/2");
  CHECK(run("SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=7 %s extract -o %s/auto2 --shard auto "
            "--no-progress %s/c 2>/dev/null | grep -q 'shard 2 of 4'", g, dir, dir) == 0,
        "--shard auto in a Slurm job array 4-7: task 5 is shard 2/4");
  CHECK(run("SLURM_PROCID=0 SLURM_NTASKS=3 %s extract -o %s/auto3 --shard auto --no-progress %s/c 2>/dev/null | "
            "grep -q 'shard 1 of 3'", g, dir, dir) == 0, "--shard auto under srun");
  snprintf(a, sizeof a, "%s/bad.log", dir);
  CHECK(run("env -u OMPI_COMM_WORLD_RANK -u PMI_RANK -u SLURM_PROCID -u SLURM_ARRAY_TASK_ID %s extract -o %s/x --shard auto %s/c "
            "> %s 2>&1", g, dir, dir, a) == 1 && contains(a, "no launcher found"), "--shard auto without a launcher: refused");
  CHECK(run("%s extract -o %s/x --shard 3/2 %s/c > %s 2>&1", g, dir, dir, a) == 1 && contains(a, "1 <= K <= N"),
        "--shard 3/2: refused");
  /* the experiment as fold jobs and a merge */
  const char *opts = "--folds 3 --ann-epochs 10 --cnn-epochs 1";
  CHECK(run("%s experiment --data %s/one -o %s/whole %s > /dev/null 2>&1", g, dir, dir, opts) == 0, "one-process experiment");
  rc = run("for k in 3 1; do %s experiment --data %s/one -o %s/jobs %s --fold $k > /dev/null 2>&1 || exit 1; done", g, dir,
           dir, opts);
  CHECK(rc == 0, "folds 3 and 1 as jobs of their own");
  snprintf(a, sizeof a, "%s/jobs.log", dir);
  rc = run("%s experiment --data %s/one -o %s/jobs %s --merge > %s 2>&1", g, dir, dir, opts, a);
  CHECK(rc == 1 && contains(a, "fold-2.part") && contains(a, "nothing written"), "merge without fold 2: exit 1, naming it");
  CHECK(run("%s experiment --data %s/one -o %s/jobs %s --fold 2 > /dev/null 2>&1 && "
            "%s experiment --data %s/one -o %s/jobs %s --merge > /dev/null 2>&1", g, dir, dir, opts, g, dir, dir, opts) == 0,
        "fold 2, then the merge");
  CHECK(run("cmp -s %s/whole/metrics.json %s/jobs/metrics.json && cmp -s %s/whole/predictions.csv %s/jobs/predictions.csv",
            dir, dir, dir, dir) == 0,
        "merged metrics.json and predictions.csv: byte for byte the one-process run's");
  CHECK(run("cd %s && cmp -s whole/importance_ann.svg jobs/importance_ann.svg && "
            "sed -n '/^\"pairs\": {/,/^\"md\": /p' whole/report.html | sed '$d' > why1 && "
            "sed -n '/^\"pairs\": {/,/^\"md\": /p' jobs/report.html | sed '$d' > why2 && grep -q 'data:image/png' why1 && "
            "cmp -s why1 why2", dir) == 0,
        "and the explanations: the importance chart, the wrong segments' features and the CNN's maps");
  return check_summary();
}
