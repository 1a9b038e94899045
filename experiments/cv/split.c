#include "split.h"
#include "infile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { TRAIN, VALID, TEST };

/* One list: marks the tracks it names; counts those absent. 0, or -1. */
static int read_list(const char *path, int which, char *const *tracks, const char *const *labels, size_t n, int *part,
                     size_t *absent, char *err, size_t errlen) {
  const char *why;
  FILE *f = fopen_regular(path, &why);
  if (!f) return snprintf(err, errlen, "%s: %s", path, why), -1;
  char line[4200];
  size_t at = 0;
  while (fgets(line, sizeof line, f)) {
    at++;
    line[strcspn(line, "\r\n")] = '\0';
    if (!*line) continue;
    char *slash = strchr(line, '/'), *file = slash ? slash + 1 : NULL, *dot = file ? strrchr(file, '.') : NULL;
    if (!slash || !*file || strchr(file, '/')) {
      fclose(f);
      return snprintf(err, errlen, "%s: line %zu: '%.80s' is not <genre>/<file>", path, at, line), -1;
    }
    *slash = '\0';
    if (dot && dot != file) *dot = '\0'; /* the stem, as the tables name tracks */
    size_t t = 0;
    while (t < n && !(strcmp(tracks[t], file) == 0 && labels[t] && strcmp(labels[t], line) == 0)) t++;
    if (t == n) {
      (*absent)++;
      continue;
    }
    if (part[t] >= 0 && part[t] != which) {
      fclose(f);
      return snprintf(err, errlen, "%s: line %zu: %s/%s is in two of the lists", path, at, line, file), -1;
    }
    part[t] = which;
  }
  fclose(f);
  return 0;
}

int split_assign(const char *dir, char *const *tracks, const char *const *labels, size_t n_tracks, int *fold,
                 unsigned char *valid, split_counts_t *counts, char *err, size_t errlen) {
  static const char *const names[3] = {"train.txt", "valid.txt", "test.txt"};
  memset(counts, 0, sizeof *counts);
  for (size_t t = 0; t < n_tracks; t++) fold[t] = -1, valid[t] = 0;
  for (int k = TRAIN; k <= TEST; k++) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
    if (k == VALID && access(path, F_OK) != 0) continue; /* valid.txt is optional */
    if (read_list(path, k, tracks, labels, n_tracks, fold, &counts->absent, err, errlen)) return -1;
  }
  for (size_t t = 0; t < n_tracks; t++) {
    int part = fold[t];
    if (part < 0) {
      counts->unlisted++;
      continue;
    }
    counts->train += part == TRAIN, counts->valid += part == VALID, counts->test += part == TEST;
    valid[t] = part == VALID;
    fold[t] = part == TEST ? 0 : 1;
  }
  return 0;
}
