/* Data-parallel training under Open MPI (mpirun -np 2, as CI runs it): one
 * rank gives today's bytes; two ranks give the gradients of one process with
 * the same global batch (batch norm synchronised, dropout masks per sample,
 * mixup and label smoothing included, a last batch that leaves a rank empty),
 * and models within float rounding of one process's; rank 0 alone prints and
 * writes; srun without an MPI plugin is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[600], step[4096]; /* step: tests/mpi_step's binary, next to this one */
static const char *mpirun = "mpirun --allow-run-as-root --oversubscribe";

typedef struct dump {
  double loss, acc, *v[3]; /* gradients, parameters, batch norm state */
  size_t n[3];
} dump_t;

static int dump_read(const char *path, dump_t *d) {
  memset(d, 0, sizeof *d);
  FILE *f = fopen(path, "r");
  char key[8];
  double v;
  if (!f) return -1;
  for (int k = 0; k < 3; k++) d->v[k] = malloc(200000 * sizeof(double));
  while (fscanf(f, "%7s %lf", key, &v) == 2) {
    int k = key[0] == 'g' ? 0 : key[0] == 'p' ? 1 : key[0] == 's' ? 2 : -1;
    if (strcmp(key, "loss") == 0) d->loss = v;
    else if (strcmp(key, "acc") == 0) d->acc = v;
    else if (k >= 0 && d->n[k] < 200000) d->v[k][d->n[k]++] = v;
  }
  fclose(f);
  return d->n[0] && d->n[0] == d->n[1] ? 0 : -1;
}

static double worst_gap(const double *a, const double *b, size_t n, double *largest) {
  double w = 0;
  *largest = 0;
  for (size_t i = 0; i < n; i++) w = fmax(w, fabs(a[i] - b[i])), *largest = fmax(*largest, fabs(a[i]));
  return w;
}

/* After one step: the running statistics (synchronised batch norm) and the
 * parameters, except where the gradient is rounding noise (the biases before
 * batch norm, whose true gradient is 0: Adam's first step moves them by lr
 * times the noise's sign) */
static void one_step(const dump_t *a, const dump_t *b) {
  double big, gap = worst_gap(a->v[2], b->v[2], a->n[2], &big);
  CHECK(a->n[2] == b->n[2] && gap <= 1e-5 * big, "one step: batch norm running statistics as one process's (worst %.3g)",
        gap);
  double gbig, worst = 0;
  worst_gap(a->v[0], a->v[0], a->n[0], &gbig);
  for (size_t i = 0; i < a->n[1]; i++)
    if (fabs(a->v[0][i]) > 1e-4 * gbig) worst = fmax(worst, fabs(a->v[1][i] - b->v[1][i]));
  CHECK(worst <= 1e-6, "one step: the parameters as one process's (worst %.3g)", worst);
}

/* One epoch of a small network alone and on two ranks (tests/mpi_step.c) */
static void same_steps(int batch) {
  char one[700], two[700];
  snprintf(one, sizeof one, "%s/step1_%d.txt", dir, batch), snprintf(two, sizeof two, "%s/step2_%d.txt", dir, batch);
  CHECK(run("%s %s %d && %s -np 2 %s %s %d", step, one, batch, mpirun, step, two, batch) == 0,
        "batch %d: the step program alone and on two ranks", batch);
  dump_t a = {0}, b = {0};
  if (dump_read(one, &a) || dump_read(two, &b)) {
    CHECK(0, "batch %d: dumps readable", batch);
    for (int k = 0; k < 3; k++) free(a.v[k]), free(b.v[k]);
    return;
  }
  double big, gap = worst_gap(a.v[0], b.v[0], a.n[0], &big);
  CHECK(a.n[0] == b.n[0] && gap <= 1e-5 * big, "batch %d: summed gradients of the last step as one process's: worst %.3g "
        "of %.3g", batch, gap, big);
  CHECK_NEAR(a.loss, b.loss, 1e-6 * a.loss, "epoch loss over both ranks' samples");
  CHECK(a.acc == b.acc, "training accuracy counted over both ranks: %g vs %g", a.acc, b.acc);
  if (batch == 9) one_step(&a, &b);
  for (int k = 0; k < 3; k++) free(a.v[k]), free(b.v[k]);
}

int main(void) {
  if (run("command -v mpirun > /dev/null") != 0) {
    printf("SKIP mpirun not found (make deps installs openmpi-bin)\n");
    return check_summary();
  }
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  mpi_leak_stacks();
  ssize_t len = readlink("/proc/self/exe", step, sizeof step - 16);
  char *slash = len > 0 ? memrchr(step, '/', (size_t)len) : NULL;
  if (slash) strcpy(slash, "/mpi_step");
  char g[4096]; /* the commands run in dir */
  if (!realpath(genre_bin(), g)) snprintf(g, sizeof g, "%s", genre_bin());
  same_steps(9); /* one step: ranks hold 4 and 5 samples */
  same_steps(4);      /* batches 4, 4, 1: rank 0 has nothing in the last */
  CHECK(run("%s synth -o %s/c -n 3 -s 9 > /dev/null && %s extract -o %s/f --no-progress %s/c > /dev/null 2>&1", g, dir, g,
            dir, dir) == 0, "a corpus and its features");
  const char *ann = "train ann --epochs 4 --quiet", *cnn = "train cnn --epochs 1 --quiet";
  CHECK(run("cd %s && %s %s --features f/features_3_sec.csv -o a.model --threads 1 > /dev/null 2>&1 && "
            "%s -np 1 %s %s --features f/features_3_sec.csv -o a1.model > /dev/null 2>&1 && cmp -s a.model a1.model",
            dir, g, ann, mpirun, g, ann) == 0, "train ann: mpirun -np 1 writes one process's bytes");
  CHECK(run("cd %s && %s %s --mel f -o c.model --threads 1 > /dev/null 2>&1 && "
            "%s -np 1 %s %s --mel f -o c1.model > /dev/null 2>&1 && cmp -s c.model c1.model", dir, g, cnn, mpirun, g, cnn) == 0,
        "train cnn: mpirun -np 1 writes one process's bytes");
  CHECK(run("cd %s && %s -np 2 %s %s --features f/features_3_sec.csv -o a2.model > a2.out 2> a2.err", dir, mpirun, g, ann) == 0,
        "train ann on two ranks");
  char a[700], b[700];
  snprintf(a, sizeof a, "%s/a.model", dir), snprintf(b, sizeof b, "%s/a2.model", dir);
  double gap = model_gap(a, b);
  CHECK(gap >= 0 && gap <= 1e-5, "train ann (dropout, mixup, label smoothing, 2 members) on two ranks: one process's "
        "model within %.3g", gap);
  CHECK(run("cd %s && [ $(grep -c '^trained' a2.out) = 1 ] && [ $(grep -c '^training on' a2.err) = 1 ] && "
            "[ ! -e a2.model.tmp ]", dir) == 0, "two ranks: rank 0 alone prints");
  CHECK(run("cd %s && %s train cnn --arch seed000 --epochs 1 --quiet --mel f -o s.model --threads 1 > /dev/null 2>&1 && "
            "%s -np 2 %s train cnn --arch seed000 --epochs 1 --quiet --mel f -o s2.model > /dev/null 2>&1", dir, g, mpirun,
            g) == 0, "train cnn --arch seed000 (no batch norm) alone and on two ranks");
  snprintf(a, sizeof a, "%s/s.model", dir), snprintf(b, sizeof b, "%s/s2.model", dir);
  gap = model_gap(a, b);
  CHECK(gap >= 0 && gap <= 1e-5, "seed000 (convolutions, dropout, augmentations) on two ranks: one process's model "
        "within %.3g", gap);
  /* each rank reads and augments only its half of a batch (and, with mixup, its partners), and takes the
     other half's random draws without the data */
  const char *aug = "train cnn --arch seed000 --epochs 1 --quiet --augment all --mixup 0.4";
  CHECK(run("cd %s && %s %s --mel f -o m.model --threads 1 > /dev/null 2>&1 && "
            "%s -np 2 %s %s --mel f -o m2.model > /dev/null 2>&1", dir, g, aug, mpirun, g, aug) == 0,
        "train cnn with every augmentation and mixup alone and on two ranks");
  snprintf(a, sizeof a, "%s/m.model", dir), snprintf(b, sizeof b, "%s/m2.model", dir);
  gap = model_gap(a, b);
  CHECK(gap >= 0 && gap <= 1e-5, "each rank reading its share (every augmentation, mixup): one process's model within %.3g",
        gap);
  char log[700];
  snprintf(log, sizeof log, "%s/srun.log", dir);
  CHECK(run("SLURM_STEP_NUM_TASKS=2 %s %s --features %s/f/features_3_sec.csv -o %s/x.model > %s 2>&1", g, ann, dir, dir, log) ==
        1 && contains(log, "srun --mpi=pmix"), "srun's tasks without an MPI plugin: refused, saying what to use");
  CHECK(run("cd %s && %s cv ann --features f/features_3_sec.csv --folds 3 --epochs 4 --quiet 2>/dev/null | grep '^accuracy' "
            "> cv1 && %s -np 2 %s cv ann --features f/features_3_sec.csv --folds 3 --epochs 4 --quiet 2>/dev/null | "
            "grep '^accuracy' > cv2 && [ -s cv1 ] && cmp -s cv1 cv2", dir, g, mpirun, g) == 0,
        "cv ann on two ranks: one process's accuracies");
  /* the experiment: every fold's batches shared, rank 0 writes the report */
  const char *opts = "--folds 3 --ann-epochs 6 --cnn-epochs 1 --models ann,cnn";
  CHECK(run("cd %s && %s experiment --data f -o e1 %s > /dev/null 2>&1 && %s -np 2 %s experiment --data f -o e2 %s "
            "> e2.out 2> /dev/null", dir, g, opts, mpirun, g, opts) == 0, "experiment alone and on two ranks");
  snprintf(log, sizeof log, "%s/e2/metrics.json", dir);
  CHECK(contains(log, "\"processes\": 2"), "metrics.json records the two processes");
  CHECK(run("cd %s && for e in e1 e2; do grep -o '\"[a-z_]*accuracy\": [0-9.]*' $e/metrics.json > $e.acc; done && "
            "[ -s e1.acc ] && cmp -s e1.acc e2.acc && ! ls -d e2.tmp.* 2>/dev/null", dir) == 0,
        "experiment on two ranks: every accuracy as one process's");
  return check_summary();
}
