#include "mel_dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npy.h"
#include "table.h"

#define BANDS 128
#define FRAMES 130

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Opens the .npy of an index row, its header checked against the index: f is
 * left at the data. 0, or -1 with the reason. */
static int open_npy(const char *dir, const char *index, size_t row, const char *file, size_t segs, FILE **fp,
                    char *err, size_t errlen) {
  if (strchr(file, '/') || strcmp(file, "..") == 0 || !*file) {
    snprintf(err, errlen, "%s: row %zu: file '%s' must be a name inside %s", index, row + 2, file, dir);
    return -1;
  }
  char path[2400];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "rb");
  if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (f) fclose(f);
    snprintf(err, errlen, "%s: cannot open (listed in %s)", path, index);
    return -1;
  }
  size_t shape[NPY_MAX_DIMS];
  int nd;
  char why[300];
  if (npy_read_header(f, (long)st.st_size, shape, &nd, why, sizeof why)) {
    fclose(f);
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
  }
  if (nd != 3 || shape[0] != segs || shape[1] != BANDS || shape[2] != FRAMES) {
    fclose(f);
    snprintf(err, errlen, "%s: shape is not [%zu, %d, %d] as %s says", path, segs, BANDS, FRAMES, index);
    return -1;
  }
  *fp = f;
  return 0;
}

void mel_dataset_free(mel_dataset_t *d) {
  for (int i = 0; d->labels && i < d->n_classes; i++) free(d->labels[i]);
  for (size_t i = 0; d->groups && i < d->n_groups; i++) free(d->groups[i]);
  for (size_t i = 0; d->names && i < d->n_rows; i++) free(d->names[i]);
  for (size_t i = 0; d->paths && i < d->n_groups; i++) free(d->paths[i]);
  free(d->paths);
  free(d->x), free(d->y), free(d->labels), free(d->group), free(d->groups), free(d->names);
  memset(d, 0, sizeof *d);
}

int mel_dataset_load(const char *dir, char *const *labels, int n_labels, mel_dataset_t *d, char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  char index[1200];
  struct stat st;
  snprintf(d->dir, sizeof d->dir, "%s/mel", dir);
  snprintf(index, sizeof index, "%s/index.csv", d->dir);
  if (stat(index, &st) != 0) { /* maybe dir is the mel directory itself */
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    snprintf(index, sizeof index, "%s/index.csv", d->dir);
  }
  table_t t;
  if (table_read(index, &t, err, errlen)) return -1;
  int fc = table_column(&t, "file"), lc = table_column(&t, "label"), sc = table_column(&t, "segments");
  int src = table_column(&t, "source"), pc = table_column(&t, "path");
  int rc = -1;
  float *buf = NULL;
  if (fc < 0 || lc < 0 || sc < 0) {
    snprintf(err, errlen, "%s: needs columns file, label, segments", index);
    goto out;
  }
  /* count rows first: the dataset is one allocation, made only once every
   * .npy's header has shown that its data is there */
  size_t total = 0;
  for (size_t r = 0; r < t.n_rows; r++) {
    double v;
    FILE *f;
    if (parse_finite(table_cell(&t, r, (size_t)sc), &v) || v < 0 || v > 100000 || v != floor(v)) {
      snprintf(err, errlen, "%s: row %zu, column 'segments': '%s' is not a count", index, r + 2, table_cell(&t, r, (size_t)sc));
      goto out;
    }
    if (open_npy(d->dir, index, r, table_cell(&t, r, (size_t)fc), (size_t)v, &f, err, errlen)) goto out;
    fclose(f);
    total += (size_t)v;
  }
  if (total == 0) {
    snprintf(err, errlen, "%s: no segments listed", index);
    goto out;
  }
  d->bands = BANDS, d->frames = FRAMES, d->n_rows = total;
  d->x = malloc(total * BANDS * FRAMES * sizeof(real));
  d->y = malloc(total * sizeof(int));
  d->group = malloc(total * sizeof(int));
  d->names = calloc(total, sizeof(char *));
  d->groups = calloc(t.n_rows, sizeof(char *));
  d->paths = calloc(t.n_rows, sizeof(char *));
  buf = malloc(BANDS * FRAMES * sizeof(float));
  if (!d->x || !d->y || !d->group || !d->names || !d->groups || !d->paths || !buf) {
    snprintf(err, errlen, "%s: out of memory for %zu segments (%.0f MB)", index, total,
             total * BANDS * FRAMES * sizeof(real) / 1e6);
    goto out;
  }
  /* labels */
  if (labels) {
    d->n_classes = n_labels;
    d->labels = calloc((size_t)n_labels, sizeof(char *));
    for (int i = 0; d->labels && i < n_labels; i++) d->labels[i] = strdup(labels[i]);
  } else {
    char **all = malloc(t.n_rows * sizeof *all);
    d->labels = calloc(t.n_rows, sizeof(char *));
    if (!all || !d->labels) {
      free(all);
      snprintf(err, errlen, "out of memory");
      goto out;
    }
    for (size_t r = 0; r < t.n_rows; r++) all[r] = (char *)table_cell(&t, r, (size_t)lc);
    qsort(all, t.n_rows, sizeof *all, cmp_str);
    for (size_t r = 0; r < t.n_rows; r++)
      if (r == 0 || strcmp(all[r], all[r - 1]) != 0) d->labels[d->n_classes++] = strdup(all[r]);
    free(all);
  }
  size_t row = 0;
  for (size_t r = 0; r < t.n_rows; r++) {
    const char *file = table_cell(&t, r, (size_t)fc), *label = table_cell(&t, r, (size_t)lc);
    size_t segs = (size_t)atof(table_cell(&t, r, (size_t)sc));
    int y = -1;
    for (int k = 0; k < d->n_classes; k++)
      if (strcmp(d->labels[k], label) == 0) y = k;
    if (y < 0) {
      snprintf(err, errlen, "%s: row %zu: label '%s' is not one of the model's %d labels", index, r + 2, label, d->n_classes);
      goto out;
    }
    /* the track's name: its audio file's stem (as the feature tables name it;
     * the .npy's own name may be escaped for the file system) */
    char stem[4200];
    snprintf(stem, sizeof stem, "%s", src >= 0 && *table_cell(&t, r, (size_t)src) ? table_cell(&t, r, (size_t)src) : file);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    FILE *f;
    if (open_npy(d->dir, index, r, file, segs, &f, err, errlen)) goto out;
    if (pc >= 0 && *table_cell(&t, r, (size_t)pc)) d->paths[d->n_groups] = strdup(table_cell(&t, r, (size_t)pc));
    if (!(d->groups[d->n_groups++] = strdup(stem))) {
      fclose(f);
      snprintf(err, errlen, "out of memory");
      goto out;
    }
    for (size_t s = 0; s < segs; s++, row++) {
      if (fread(buf, sizeof(float), BANDS * FRAMES, f) != BANDS * FRAMES) {
        fclose(f);
        snprintf(err, errlen, "%s/%s: truncated", d->dir, file);
        goto out;
      }
      real *x = d->x + row * BANDS * FRAMES;
      for (int i = 0; i < BANDS * FRAMES; i++) {
        if (!isfinite(buf[i])) {
          fclose(f);
          snprintf(err, errlen, "%s/%s: segment %zu has a non-finite value", d->dir, file, s);
          goto out;
        }
        x[i] = (real)buf[i];
      }
      d->y[row] = y;
      d->group[row] = (int)d->n_groups - 1;
      char name[4300];
      snprintf(name, sizeof name, "%s.%zu.wav", stem, s);
      if (!(d->names[row] = strdup(name))) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        goto out;
      }
    }
    fclose(f);
  }
  rc = 0;
out:
  free(buf);
  table_free(&t);
  if (rc) mel_dataset_free(d);
  return rc;
}
