#include "mel_dataset.h"
#include "infile.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"
#include "table.h"

#define BANDS 128
#define FRAMES 130
#define OPEN_FILES 16 /* descriptors kept open: a batch of rows from few tracks opens each once */

struct mel_files {
  pthread_mutex_t mu;
  int fd[OPEN_FILES];
  size_t track[OPEN_FILES];
  int next; /* the slot to reuse next (round robin) */
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Opens the .npy of an index row, its header checked against the index: f is
 * left at the data. 0, or -1 with the reason. */
static int open_npy(const char *dir, const char *index, size_t row, const char *file, size_t segs, FILE **fp,
                    long *data_at, unsigned char *elem, char *err, size_t errlen) {
  if (strchr(file, '/') || strcmp(file, "..") == 0 || !*file) {
    snprintf(err, errlen, "%s: row %zu: file '%s' must be a name inside %s", index, row + 2, file, dir);
    return -1;
  }
  char path[2400];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  const char *open_why = "";
  FILE *f = fopen_regular(path, &open_why);
  if (!f || fstat(fileno(f), &st) != 0) {
    if (f) fclose(f);
    snprintf(err, errlen, "%s: cannot open: %s (listed in %s)", path, open_why, index);
    return -1;
  }
  size_t shape[NPY_MAX_DIMS];
  int nd, e;
  char why[300];
  if (npy_read_header_any(f, (long)st.st_size, shape, &nd, &e, why, sizeof why)) {
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
  *data_at = ftell(f);
  *elem = (unsigned char)e;
  return 0;
}

void mel_dataset_free(mel_dataset_t *d) {
  if (d->open) {
    for (int i = 0; i < OPEN_FILES; i++)
      if (d->open->fd[i] >= 0) close(d->open->fd[i]);
    pthread_mutex_destroy(&d->open->mu);
    free(d->open);
  }
  for (size_t i = 0; d->files && i < d->n_groups; i++) free(d->files[i]);
  free(d->files), free(d->first), free(d->data_at), free(d->elem), free(d->held);
  for (int i = 0; d->labels && i < d->n_classes; i++) free(d->labels[i]);
  for (size_t i = 0; d->groups && i < d->n_groups; i++) free(d->groups[i]);
  for (size_t i = 0; d->names && i < d->n_rows; i++) free(d->names[i]);
  for (size_t i = 0; d->paths && i < d->n_groups; i++) free(d->paths[i]);
  free(d->paths);
  free(d->y), free(d->labels), free(d->group), free(d->groups), free(d->names);
  memset(d, 0, sizeof *d);
}

/* index.csv's columns */
typedef struct mel_index {
  table_t t;
  const char *path;
  int file, label, segments, source, audio; /* source and audio (the path column) may be -1 */
} mel_index_t;

/* The segments every row lists, each .npy's header checked against them
 * (the one time a file is opened at load): where each file's data starts and
 * its dtype into data_at[row], elem[row]. 0, or -1 with the reason. */
static int count_segments(const mel_index_t *ix, const char *dir, size_t *total, long *data_at, unsigned char *elem,
                          char *err, size_t errlen) {
  *total = 0;
  for (size_t r = 0; r < ix->t.n_rows; r++) {
    double v;
    FILE *f;
    const char *cell = table_cell(&ix->t, r, (size_t)ix->segments);
    if (parse_finite(cell, &v) || v < 0 || v > 100000 || v != floor(v)) {
      snprintf(err, errlen, "%s: row %zu, column 'segments': '%s' is not a count", ix->path, r + 2, cell);
      return -1;
    }
    if (open_npy(dir, ix->path, r, table_cell(&ix->t, r, (size_t)ix->file), (size_t)v, &f, &data_at[r], &elem[r], err, errlen))
      return -1;
    fclose(f);
    *total += (size_t)v;
  }
  if (*total == 0) return snprintf(err, errlen, "%s: no segments listed", ix->path), -1;
  return 0;
}

/* The distinct labels of all[n] (sorted in place), sorted, into d->labels. 0, or -1 out of memory. */
static int sorted_labels(mel_dataset_t *d, char **all, size_t n) {
  d->labels = calloc(n ? n : 1, sizeof(char *));
  if (!d->labels) return -1;
  qsort(all, n, sizeof *all, cmp_str);
  for (size_t r = 0; r < n; r++)
    if ((r == 0 || strcmp(all[r], all[r - 1]) != 0) && !(d->labels[d->n_classes++] = strdup(all[r]))) return -1;
  return 0;
}

/* The given labels, or the sorted distinct labels of the index. 0, or -1. */
static int collect_labels(mel_dataset_t *d, const mel_index_t *ix, char *const *labels, int n_labels, char *err,
                          size_t errlen) {
  if (labels) {
    d->n_classes = n_labels;
    d->labels = calloc((size_t)n_labels, sizeof(char *));
    for (int i = 0; d->labels && i < n_labels; i++) d->labels[i] = strdup(labels[i]);
    return 0;
  }
  size_t n = ix->t.n_rows;
  char **all = malloc(n * sizeof *all);
  if (!all) return snprintf(err, errlen, "out of memory"), -1;
  for (size_t r = 0; r < n; r++) all[r] = (char *)table_cell(&ix->t, r, (size_t)ix->label);
  int rc = sorted_labels(d, all, n);
  free(all);
  return rc ? snprintf(err, errlen, "out of memory"), -1 : 0;
}

/* The names and labels of track `group`'s segs segments: rows [*row, *row + segs). 0, or -1. */
static int list_segments(mel_dataset_t *d, const char *stem, size_t segs, int y, size_t *row, char *err,
                         size_t errlen) {
  for (size_t s = 0; s < segs; s++, (*row)++) {
    d->y[*row] = y;
    d->group[*row] = (int)d->n_groups - 1;
    char name[4300];
    snprintf(name, sizeof name, "%s.%zu.wav", stem, s);
    if (!(d->names[*row] = strdup(name))) return snprintf(err, errlen, "out of memory"), -1;
  }
  return 0;
}

/* Index row r: its track (name, audio path, file) and its segments (their
 * .npy was checked by count_segments). 0, or -1. */
static int read_track(mel_dataset_t *d, const mel_index_t *ix, size_t r, size_t *row, char *err, size_t errlen) {
  const table_t *t = &ix->t;
  const char *file = table_cell(t, r, (size_t)ix->file), *label = table_cell(t, r, (size_t)ix->label);
  size_t segs = (size_t)atof(table_cell(t, r, (size_t)ix->segments));
  int y = -1;
  for (int k = 0; k < d->n_classes; k++)
    if (strcmp(d->labels[k], label) == 0) y = k;
  if (y < 0) {
    snprintf(err, errlen, "%s: row %zu: label '%s' is not one of the model's %d labels", ix->path, r + 2, label,
             d->n_classes);
    return -1;
  }
  /* the track's name: its audio file's stem (as the feature tables name it;
   * the .npy's own name may be escaped for the file system) */
  char stem[4200];
  const char *source = ix->source >= 0 ? table_cell(t, r, (size_t)ix->source) : "";
  snprintf(stem, sizeof stem, "%s", *source ? source : file);
  char *dot = strrchr(stem, '.');
  if (dot && dot != stem) *dot = '\0';
  size_t g = d->n_groups; /* = r: every index row is a track */
  if (ix->audio >= 0 && *table_cell(t, r, (size_t)ix->audio)) d->paths[g] = strdup(table_cell(t, r, (size_t)ix->audio));
  d->first[g] = *row;
  d->files[g] = strdup(file);
  d->groups[g] = strdup(stem);
  d->n_groups++;
  if (!d->files[g] || !d->groups[g]) return snprintf(err, errlen, "out of memory"), -1;
  return list_segments(d, stem, segs, y, row, err, errlen);
}

/* d->dir and its index.csv: DIR/mel, or DIR itself when it is the mel folder.
 * 0, or -1 saying what DIR is instead. */
static int find_index(const char *dir, mel_dataset_t *d, char *index, size_t len, char *err, size_t errlen) {
  struct stat st;
  snprintf(d->dir, sizeof d->dir, "%s/mel", dir);
  snprintf(index, len, "%s/index.csv", d->dir);
  if (stat(index, &st) != 0) { /* maybe dir is the mel directory itself */
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    snprintf(index, len, "%s/index.csv", d->dir);
  }
  if (stat(index, &st) == 0) return 0;
  int is_dir = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
  snprintf(err, errlen, "%s: %s; spectrograms are read from the folder genre extract -o OUTDIR wrote (OUTDIR, "
           "or OUTDIR/mel: its index.csv and .npy files)", dir,
           is_dir ? "a folder without mel/index.csv, not one genre extract wrote"
           : access(dir, F_OK) == 0 ? "a file, not a folder" : "no such folder");
  return -1;
}

int mel_dataset_load(const char *dir, char *const *labels, int n_labels, mel_dataset_t *d, char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  char index[1200];
  if (find_index(dir, d, index, sizeof index, err, errlen)) return -1;
  mel_index_t ix = {.path = index};
  if (table_read(index, &ix.t, err, errlen)) return -1;
  ix.file = table_column(&ix.t, "file"), ix.label = table_column(&ix.t, "label");
  ix.segments = table_column(&ix.t, "segments"), ix.source = table_column(&ix.t, "source");
  ix.audio = table_column(&ix.t, "path");
  int rc = -1;
  size_t total;
  if (ix.file < 0 || ix.label < 0 || ix.segments < 0) {
    snprintf(err, errlen, "%s: needs columns file, label, segments", index);
    goto out;
  }
  d->data_at = calloc(ix.t.n_rows, sizeof(long));
  d->elem = calloc(ix.t.n_rows, 1);
  if (!d->data_at || !d->elem) {
    snprintf(err, errlen, "%s: out of memory", index);
    goto out;
  }
  if (count_segments(&ix, d->dir, &total, d->data_at, d->elem, err, errlen)) goto out;
  d->bands = BANDS, d->frames = FRAMES, d->n_rows = total;
  d->y = malloc(total * sizeof(int));
  d->group = malloc(total * sizeof(int));
  d->names = calloc(total, sizeof(char *));
  d->groups = calloc(ix.t.n_rows, sizeof(char *));
  d->paths = calloc(ix.t.n_rows, sizeof(char *));
  d->files = calloc(ix.t.n_rows, sizeof(char *));
  d->first = calloc(ix.t.n_rows, sizeof(size_t));
  d->open = malloc(sizeof *d->open);
  if (!d->y || !d->group || !d->names || !d->groups || !d->paths || !d->files || !d->first || !d->data_at || !d->elem || !d->open) {
    free(d->open), d->open = NULL;
    snprintf(err, errlen, "%s: out of memory for the index of %zu segments", index, total);
    goto out;
  }
  pthread_mutex_init(&d->open->mu, NULL);
  for (int i = 0; i < OPEN_FILES; i++) d->open->fd[i] = -1;
  d->open->next = 0;
  if (collect_labels(d, &ix, labels, n_labels, err, errlen)) goto out;
  size_t row = 0;
  for (size_t r = 0; r < ix.t.n_rows; r++)
    if (read_track(d, &ix, r, &row, err, errlen)) goto out;
  rc = 0;
out:
  table_free(&ix.t);
  if (rc) mel_dataset_free(d);
  return rc;
}

/* A descriptor of track g's .npy, opened (and its length checked) unless
 * one is kept. Holds d->open->mu. -1 with the reason. */
static int track_fd(const mel_dataset_t *d, size_t g, char *err, size_t errlen) {
  struct mel_files *o = d->open;
  for (int i = 0; i < OPEN_FILES; i++)
    if (o->fd[i] >= 0 && o->track[i] == g) return o->fd[i];
  char path[2400];
  struct stat st;
  size_t segs = (g + 1 < d->n_groups ? d->first[g + 1] : d->n_rows) - d->first[g];
  snprintf(path, sizeof path, "%s/%s", d->dir, d->files[g]);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno)), -1;
  if (fstat(fd, &st) != 0 || st.st_size < d->data_at[g] + (long)(segs * BANDS * FRAMES * d->elem[g])) {
    close(fd);
    return snprintf(err, errlen, "%s: truncated (shorter than its %zu segments)", path, segs), -1;
  }
  int s = o->next;
  if (o->fd[s] >= 0) close(o->fd[s]);
  o->fd[s] = fd, o->track[s] = g, o->next = (s + 1) % OPEN_FILES;
  return fd;
}

/* Row `row` into x[bands][frames], widened from the file's float32 or float16. 0, or -1. */
static int read_row(const mel_dataset_t *d, size_t row, real *x, char *err, size_t errlen) {
  size_t g = (size_t)d->group[row], seg = row - d->first[g], n = BANDS * FRAMES, bytes = n * d->elem[g];
  int fd = track_fd(d, g, err, errlen);
  if (fd < 0) return -1;
  union {
    float f[BANDS * FRAMES];
    uint16_t h[BANDS * FRAMES];
  } buf;
  off_t at = (off_t)d->data_at[g] + (off_t)(seg * bytes);
  for (size_t got = 0; got < bytes;) {
    ssize_t k = pread(fd, (char *)&buf + got, bytes - got, at + (off_t)got);
    if (k <= 0) return snprintf(err, errlen, "%s/%s: segment %zu: %s", d->dir, d->files[g], seg,
                                k < 0 ? strerror(errno) : "truncated"), -1;
    got += (size_t)k;
  }
  int half = d->elem[g] == NPY_F16;
  for (size_t i = 0; i < n; i++) {
    float v = half ? npy_float(buf.h[i]) : buf.f[i];
    if (!isfinite(v)) return snprintf(err, errlen, "%s/%s: segment %zu has a non-finite value", d->dir, d->files[g], seg), -1;
    x[i] = (real)v;
  }
  return 0;
}

int mel_dataset_read(const mel_dataset_t *d, const size_t *rows, int n, real *x, char *err, size_t errlen) {
  size_t in = BANDS * FRAMES;
  int rc = 0;
  if (d->held) { /* in memory: mel_dataset_hold, or arrays given (mel_dataset_from_memory) */
    for (int i = 0; i < n; i++) memcpy(x + (size_t)i * in, d->held + rows[i] * in, in * sizeof(real));
    return 0;
  }
  pthread_mutex_lock(&d->open->mu);
  for (int i = 0; i < n && rc == 0; i++) rc = read_row(d, rows[i], x + (size_t)i * in, err, errlen);
  pthread_mutex_unlock(&d->open->mu);
  return rc;
}

static int read_rows(const void *ctx, const size_t *rows, int n, real *x, char *err, size_t errlen) {
  return mel_dataset_read(ctx, rows, n, x, err, errlen);
}

int mel_dataset_hold(mel_dataset_t *d, char *err, size_t errlen) {
  size_t in = BANDS * FRAMES;
  d->held = malloc(d->n_rows * in * sizeof(real));
  if (!d->held) return snprintf(err, errlen, "out of memory for %zu spectrograms", d->n_rows), -1;
  for (size_t r = 0; r < d->n_rows; r++)
    if (mel_dataset_read(d, &r, 1, d->held + r * in, err, errlen)) return free(d->held), d->held = NULL, -1;
  return 0;
}

row_source_t mel_dataset_source(const mel_dataset_t *d, int read_ahead) {
  if (d->held) return rows_in_memory(d->held, d->y, BANDS * FRAMES);
  return (row_source_t){.in = BANDS * FRAMES, .y = d->y, .read = read_rows, .ctx = d, .read_ahead = read_ahead};
}

typedef struct named_row {
  const char *name;
  size_t row;
} named_row_t;

static int cmp_named(const void *a, const void *b) {
  const named_row_t *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Rows' tracks numbered in order of first appearance into group[n], each row's
 * place among its track's rows into k[n], by one sort (any order of rows).
 * The number of tracks, or -1 when out of memory. */
static long number_tracks(char *const *tracks, size_t n, int *group, size_t *k) {
  named_row_t *s = malloc((n ? n : 1) * sizeof *s);
  long *opens = malloc((n ? n : 1) * sizeof *opens), *id = malloc((n ? n : 1) * sizeof *id), runs = 0, next = 0;
  if (!s || !opens || !id) return free(s), free(opens), free(id), -1;
  for (size_t r = 0; r < n; r++) s[r] = (named_row_t){tracks[r], r}, opens[r] = -1;
  qsort(s, n, sizeof *s, cmp_named);
  for (size_t i = 0, at = 0; i < n; i++) {
    if (i == 0 || strcmp(s[i].name, s[i - 1].name) != 0) opens[s[i].row] = runs++, at = 0;
    k[s[i].row] = at++, group[s[i].row] = (int)(runs - 1);
  }
  for (size_t r = 0; r < n; r++)
    if (opens[r] >= 0) id[opens[r]] = next++;
  for (size_t r = 0; r < n; r++) group[r] = (int)id[group[r]];
  free(s), free(opens), free(id);
  return runs;
}

/* Row r's name "<track>.<k>.wav", and its track's name when the row is the track's first. 0, or -1. */
static int memory_row(mel_dataset_t *d, size_t r, const char *track, size_t k) {
  char name[4300];
  if ((size_t)d->group[r] == d->n_groups && !(d->groups[d->n_groups++] = strdup(track))) return -1;
  snprintf(name, sizeof name, "%s.%zu.wav", track, k);
  return (d->names[r] = strdup(name)) ? 0 : -1;
}

int mel_dataset_from_memory(const float *x, size_t n, char *const *labels, char *const *tracks, mel_dataset_t *d,
                            char *err, size_t errlen) {
  memset(d, 0, sizeof *d);
  if (n == 0) return snprintf(err, errlen, "no spectrograms"), -1;
  snprintf(d->dir, sizeof d->dir, "(in memory)");
  size_t in = BANDS * FRAMES, *k = calloc(n, sizeof *k); /* each row's place in its track */
  char **sorted = malloc((n ? n : 1) * sizeof *sorted);
  d->bands = BANDS, d->frames = FRAMES, d->n_rows = n;
  d->y = malloc(n * sizeof(int)), d->group = malloc(n * sizeof(int));
  d->names = calloc(n, sizeof(char *)), d->groups = calloc(n, sizeof(char *));
  d->held = malloc(n * in * sizeof(real));
  int rc = !k || !sorted || !d->y || !d->group || !d->names || !d->groups || !d->held ? -1 : 0;
  if (!rc && number_tracks(tracks, n, d->group, k) < 0) rc = -1;
  for (size_t r = 0; !rc && r < n; r++) sorted[r] = (char *)labels[r];
  if (!rc) rc = sorted_labels(d, sorted, n);
  for (size_t r = 0; !rc && r < n; r++) {
    char **at = bsearch(&labels[r], d->labels, (size_t)d->n_classes, sizeof *d->labels, cmp_str);
    d->y[r] = (int)(at - d->labels);
    rc = memory_row(d, r, tracks[r], k[r]);
  }
  for (size_t v = 0; !rc && v < n * in; v++) {
    if (!isfinite(x[v])) {
      snprintf(err, errlen, "spectrogram %zu holds a non-finite value", v / in);
      free(k), free(sorted), mel_dataset_free(d);
      return -1;
    }
    d->held[v] = (real)x[v];
  }
  free(k), free(sorted);
  if (rc) snprintf(err, errlen, "out of memory for %zu spectrograms", n), mel_dataset_free(d);
  return rc;
}
