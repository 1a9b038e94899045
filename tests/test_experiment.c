/* genre experiment: reproducible metrics.json, well-formed pictures, honest
 * wording, a report replaced only when complete, the leaky protocol labelled. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static char dir[600];

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* XML well-formedness: tags nest and close, attributes are quoted, the
 * document has one root. Enough for what svg.c writes. */
static int xml_well_formed(const char *s, char *why, size_t len) {
  char stack[64][64];
  int depth = 0, roots = 0;
  const char *p = s;
  if (strncmp(p, "<?xml", 5) == 0) p = strstr(p, "?>") + 2;
  while ((p = strchr(p, '<'))) {
    if (p[1] == '/') {
      char name[64];
      if (sscanf(p + 2, "%63[^> ]", name) != 1 || depth == 0 || strcmp(stack[depth - 1], name) != 0)
        return snprintf(why, len, "unbalanced </%s>", name), 0;
      depth--;
      p = strchr(p, '>');
      if (!p) return snprintf(why, len, "unterminated closing tag"), 0;
      continue;
    }
    const char *end = strchr(p, '>');
    if (!end) return snprintf(why, len, "unterminated tag"), 0;
    char name[64];
    if (sscanf(p + 1, "%63[^> /]", name) != 1) return snprintf(why, len, "bad tag"), 0;
    int quotes = 0;
    for (const char *q = p; q < end; q++) quotes += *q == '"';
    if (quotes % 2) return snprintf(why, len, "unquoted attribute in <%s>", name), 0;
    if (depth == 0) roots++;
    if (end[-1] != '/') {
      if (depth == 64) return snprintf(why, len, "too deep"), 0;
      snprintf(stack[depth++], 64, "%s", name);
    }
    p = end;
  }
  if (depth) return snprintf(why, len, "<%s> not closed", stack[depth - 1]), 0;
  if (roots != 1) return snprintf(why, len, "%d root elements", roots), 0;
  return 1;
}

static void test_experiment(void) {
  const char *g = genre_bin();
  char path[900];
  int light = memcheck();
  CHECK(run("%s synth -o %s/corpus -n 6 -s %d > /dev/null && %s extract -o %s/out %s/corpus/genres_original --no-progress "
            "> /dev/null",
            g, dir, light ? 6 : 9, g, dir, dir) == 0,
        "synthetic corpus extracted");
  const char *args = light ? "--folds 2 --cnn-epochs 1 --ann-epochs 10" : "--folds 3 --cnn-epochs 6 --ann-epochs 60";
  CHECK(run("%s experiment --data %s/out -o %s/results/a %s > %s/a.out 2>&1", g, dir, dir, args, dir) == 0, "experiment runs");
  snprintf(path, sizeof path, "%s/a.out", dir);
  CHECK(contains(path, "genre experiment: ann: fold 1 done in") && contains(path, "genre experiment: cnn (2 of 4), folds"),
        "not on a terminal: a line per model and per finished fold");
  CHECK(!contains(path, "Comparable with the seeds") && !contains(path, "seeds'"),
        "the words are the user's: the published Keras projects, not this repository's shorthand");
  CHECK(run("%s experiment --data %s/out -o %s/results/b %s > /dev/null 2>&1", g, dir, dir, args) == 0, "and again");
  CHECK(run("cmp -s %s/results/a/metrics.json %s/results/b/metrics.json", dir, dir) == 0,
        "same seed: byte-identical metrics.json");
  CHECK(run("cmp -s %s/results/a/predictions.csv %s/results/b/predictions.csv", dir, dir) == 0,
        "same seed: identical predictions");
  const char *files[] = {"report.md", "metrics.json", "predictions.csv", "timings.json", "confusion_ann.csv",
                         "confusion_cnn.csv", "confusion_ensemble.csv", "confusion_ann.svg", "confusion_cnn.svg",
                         "confusion_ensemble.svg", "curves_ann.svg", "curves_cnn.svg"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(path, sizeof path, "%s/results/a/%s", dir, files[i]);
    CHECK(access(path, R_OK) == 0, "%s written", files[i]);
  }
  const char *svgs[] = {"confusion_ann.svg", "confusion_cnn.svg", "confusion_ensemble.svg", "curves_ann.svg",
                        "curves_cnn.svg", "reliability_ann.svg", "reliability_cnn.svg", "reliability_ensemble.svg"};
  for (size_t i = 0; i < sizeof svgs / sizeof *svgs; i++) {
    snprintf(path, sizeof path, "%s/results/a/%s", dir, svgs[i]);
    char *s = slurp(path, NULL), why[200] = "";
    CHECK(s && xml_well_formed(s, why, sizeof why), "%s is well-formed XML %s", svgs[i], why);
    if (s && strstr(svgs[i], "confusion"))
      CHECK(count(s, "class=\"cell\"") == 100, "%s: one cell per label pair (%d)", svgs[i], count(s, "class=\"cell\""));
    free(s);
  }
  snprintf(path, sizeof path, "%s/results/a/metrics.json", dir);
  char *json = slurp(path, NULL);
  const char *keys[] = {"\"models\"", "\"ann\"", "\"cnn\"", "\"ensemble\"", "\"accuracy_mean\"", "\"accuracy_std\"",
                        "\"track_accuracy_mean\"", "\"top2_mean\"", "\"confusion\"", "\"labels\"", "\"calibration\"",
                        "\"ece\"", "\"brier\"", "\"log_loss\""};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) CHECK(json && strstr(json, keys[i]), "metrics.json has %s", keys[i]);
  free(json);
  snprintf(path, sizeof path, "%s/results/a/report.md", dir);
  char *md = slurp(path, NULL);
  if (light)
    printf("  (memcheck: 2 folds, 1 CNN epoch; how well the models learn is checked by make test)\n");
  else
    CHECK(md && count(md, "well above chance") == 5,
          "report: every model of the default list (ANN, CNN, SVM, logistic regression, their ensemble) well above "
          "chance on the synthetic corpus (%d)", md ? count(md, "well above chance") : -1);
  CHECK(md && strstr(md, "grouped by track") && strstr(md, "![ANN (features)](confusion_ann.svg)") &&
            strstr(md, light ? "--folds 2" : "--folds 3"),
        "report: protocol, embedded pictures, the command");
  free(md);
  snprintf(path, sizeof path, "%s/results/a/confusion_cnn.csv", dir);
  char *csv = slurp(path, NULL);
  CHECK(csv && strncmp(csv, "true\\predicted,ambient,chiptune", 31) == 0 && count(csv, "\n") == 11,
        "confusion CSV: label names in the header, one row per label");
  free(csv);

  /* killed mid-run: the previous report stays whole */
  snprintf(path, sizeof path, "%s/results/a/report.md", dir);
  char *before = slurp(path, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    char out[700], data[700];
    snprintf(out, sizeof out, "%s/results/a", dir);
    snprintf(data, sizeof data, "%s/out", dir);
    freopen("/dev/null", "w", stdout), freopen("/dev/null", "w", stderr);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "exec %s experiment --data %s -o %s --folds 3 --cnn-epochs 50", g, data, out);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  sleep(2);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  char *after = slurp(path, NULL);
  CHECK(before && after && strcmp(before, after) == 0, "a killed run leaves the previous report intact");
  free(before), free(after);

  /* the leaky protocol says so */
  CHECK(run("%s experiment --data %s/out -o %s/results/leaky --protocol random-split --models ann --ann-epochs 40 > /dev/null "
            "2>&1",
            g, dir, dir) == 0,
        "random-split runs");
  snprintf(path, sizeof path, "%s/results/leaky/report.md", dir);
  md = slurp(path, NULL);
  CHECK(md && strstr(md, "LEAKY") && strstr(md, "overstates accuracy"), "random split reported as leaky");
  free(md);
  /* feature table alone: ANN only */
  CHECK(run("%s experiment --features %s/out/features_30_sec.csv -o %s/results/f --ann-epochs 40 > /dev/null 2>&1", g, dir,
            dir) == 0,
        "--features alone runs the feature model");
  CHECK(run("%s experiment --features %s/out/features_30_sec.csv -o %s/results/g --models cnn > /dev/null 2>&1", g, dir, dir) == 1,
        "--features with the CNN: refused");
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", scratch_dir());
  RUN(test_experiment);
  return check_summary();
}
