/* report.html in a real browser: Debian's Chromium, driven by playwright-core
 * (tests/html/check_report.js; `make deps` installs both). The matrices'
 * cells against confusion_<model>.csv, deep links and a click on a cell
 * against predictions.csv, the track view, no network request and no console
 * error; the page is self-contained (no src or href to another file but the
 * audio). Skips with a message when Chromium or the driver is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int have_browser(void) {
  const char *chromium = getenv("CHROMIUM") ? getenv("CHROMIUM") : "/usr/bin/chromium";
  if (access(chromium, X_OK) != 0) return printf("SKIP report.html in a browser: no %s (make deps installs chromium)\n", chromium), 0;
  if (run("command -v node >/dev/null") != 0) return printf("SKIP report.html in a browser: no node\n"), 0;
  if (access("tests/html/node_modules/playwright-core/package.json", R_OK) != 0)
    return printf("SKIP report.html in a browser: tests/html/node_modules has no playwright-core (make deps)\n"), 0;
  return 1;
}

int main(void) {
  const char *dir = scratch_dir(), *g = genre_bin();
  /* names that need escaping on the way into JSON, HTML and URLs */
  CHECK(run("%s synth -o %s/c -n 3 -s 9 >/dev/null && mv %s/c/genres_original/dub/dub.00001.wav "
            "'%s/c/genres_original/dub/dub <&> \"quoted\".wav' && %s extract -o %s/f --no-progress %s/c >/dev/null && "
            "%s experiment --data %s/f -o %s/r --folds 3 --ann-epochs 20 --cnn-epochs 1 >/dev/null 2>&1",
            g, dir, dir, dir, g, dir, dir, g, dir, dir) == 0,
        "an experiment writes its report");
  char path[700];
  snprintf(path, sizeof path, "%s/r/report.html", dir);
  CHECK(contains(path, "<!DOCTYPE html>") && contains(path, "id=\"report-data\"") && !contains(path, "<script src") &&
            !contains(path, "<link ") &&
            run("grep -o 'https\\?://[^\\\" ]*' %s | grep -v '^http://www.w3.org/2000/svg' | grep -q .", path) != 0,
        "report.html: one self-contained file (no external script, style or URL; SVG's namespace aside)");
  CHECK(contains(path, "\\u003c\\u0026\\u003e"), "names are escaped inside the page's data");
  if (!have_browser()) return check_summary();
  snprintf(path, sizeof path, "%s/browser.log", dir);
  int rc = run("node tests/html/check_report.js %s/r > %s 2>&1", dir, path);
  FILE *f = fopen(path, "r");
  char line[2000];
  int lines = 0;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ok ", 3) == 0) CHECK(1, "%s", line + 3), lines++;
    else if (strncmp(line, "FAIL ", 5) == 0) CHECK(0, "%s", line + 5), lines++;
    else if (line[0] == '#') printf("%s\n", line);
  }
  if (f) fclose(f);
  CHECK(rc == 0 && lines > 5, "the browser checks ran (exit %d, %d checks)", rc, lines);
  return check_summary();
}
