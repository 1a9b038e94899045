/* The shipped job scripts (experiments/cluster/) on a real Slurm: a one-node
 * cluster started here (tests/slurm/cluster.sh: munged, slurmctld, slurmd),
 * submit.sh's chain run to the end — an extraction array and its merge, a
 * fold array and the report, an srun MPI training on two tasks — and every
 * output checked against one process's; then every daemon stopped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[600], g[4096];

static const char *exp_opts = "--folds 3 --ann-epochs 6 --cnn-epochs 1";
static const char *train_opts = "--arch seed000 --epochs 1";

/* What one process writes, for comparison: written where the jobs will
 * write (paths are recorded in the outputs), then moved aside */
static void one_process(void) {
  CHECK(run("cd %s && %s synth -o c -n 3 -s 9 > /dev/null && printf 'not audio' > c/genres_original/dub/bad.wav && "
            "{ %s extract -o %s/feat --no-progress %s/c > /dev/null 2>&1; [ $? = 2 ]; }", dir, g, g, dir, dir) == 0,
        "a corpus with a bad file, extracted by one process (exit 2)");
  CHECK(run("cd %s && %s experiment --data %s/feat -o %s/report %s > /dev/null 2>&1", dir, g, dir, dir, exp_opts) == 0,
        "the experiment in one process");
  CHECK(run("cd %s && %s train cnn --mel feat -o one.model --threads 1 --quiet %s > /dev/null 2>&1", dir, g, train_opts) == 0,
        "the training in one process");
  CHECK(run("cd %s && mv feat one && mv report one-report", dir) == 0, "moved aside");
}

/* submit.sh's chain, waited for (up to 10 minutes) */
static int submit_and_wait(void) {
  int rc = run("cd %s/jobs && SLURM_CONF=%s/slurm/slurm.conf GENRE=%s SHARDS=3 FOLDS=3 RANKS=2 "
               "EXPERIMENT_ARGS='--ann-epochs 6 --cnn-epochs 1' TRAIN_ARGS='%s' "
               "%s/experiments/cluster/submit.sh %s/c %s/feat %s/report %s/two.model > submit.out 2>&1",
               dir, dir, g, train_opts, getenv("PWD") ? getenv("PWD") : ".", dir, dir, dir, dir);
  CHECK(rc == 0, "submit.sh: five jobs submitted");
  if (rc) return -1;
  rc = run("export SLURM_CONF=%s/slurm/slurm.conf; for i in $(seq 1200); do [ -z \"$(squeue -h)\" ] && exit 0; "
           "sleep 0.5; done; exit 1", dir);
  CHECK(rc == 0, "every job ended");
  return rc ? -1 : 0;
}

static void check_outputs(void) {
  CHECK(run("cd %s && for f in features_3_sec.csv features_30_sec.csv errors.csv mel/index.csv $(cd one && echo mel/*.npy); do "
            "cmp -s \"one/$f\" \"feat/$f\" || exit 1; done && [ $(ls one/mel | wc -l) = $(ls feat/mel | wc -l) ]", dir) == 0,
        "the extraction array and its merge: tables, spectrograms and errors.csv byte for byte one process's");
  CHECK(run("cd %s && cmp -s one-report/metrics.json report/metrics.json && cmp -s one-report/predictions.csv "
            "report/predictions.csv", dir) == 0, "the fold array and its report: metrics.json and predictions.csv byte "
            "for byte one process's");
  char a[700], b[700];
  snprintf(a, sizeof a, "%s/one.model", dir), snprintf(b, sizeof b, "%s/two.model", dir);
  double gap = model_gap(a, b);
  CHECK(gap >= 0 && gap <= 1e-5, "srun --mpi=pmix training on two tasks: one process's model within %.3g", gap);
  snprintf(a, sizeof a, "%s/jobs/genre-train-*.log", dir);
  CHECK(run("grep -q 'on 2 processes' %s", a) == 0, "the training ran as two MPI processes");
  CHECK(run("[ $(ls %s/jobs/genre-extract-*_*.log | wc -l) = 3 ] && [ $(ls %s/jobs/genre-fold-*_*.log | wc -l) = 3 ]", dir,
            dir) == 0, "three extraction tasks and three fold tasks ran");
}

int main(void) {
  if (geteuid() != 0 || run("command -v slurmctld slurmd munged sbatch mpirun > /dev/null") != 0) {
    printf("SKIP a local Slurm cluster needs root and slurm-wlm, munge and openmpi-bin (make deps installs them)\n");
    return check_summary();
  }
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  mpi_leak_stacks();
  if (!realpath(genre_bin(), g)) snprintf(g, sizeof g, "%s", genre_bin());
  one_process();
  int up = run("tests/slurm/cluster.sh start %s/slurm > %s/cluster.log 2>&1", dir, dir) == 0;
  CHECK(up, "a one-node cluster: munged, slurmctld and slurmd started, the node idle");
  if (up && run("mkdir -p %s/jobs", dir) == 0 && submit_and_wait() == 0) check_outputs();
  if (!up) run("cat %s/cluster.log %s/slurm/log/*.log 2>/dev/null | tail -20", dir, dir);
  run("cat %s/slurm/*.pid > %s/pids 2>/dev/null", dir, dir);
  CHECK(run("tests/slurm/cluster.sh stop %s/slurm", dir) == 0, "the cluster stopped");
  CHECK(run("[ -s %s/pids ] && for p in $(cat %s/pids); do kill -0 $p 2>/dev/null && exit 1; done; exit 0", dir, dir) == 0,
        "no daemon of it left running");
  return check_summary();
}
