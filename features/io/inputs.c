#include "inputs.h"
#include "names.h"
#include "table.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const audio_ext[] = {"wav", "wave", "au", "snd", "aif", "aiff", "aifc",
                                        "flac", "ogg", "oga", "opus", "mp3", "caf", "w64"};

int is_audio_name(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot || dot == name) return 0;
  for (size_t i = 0; i < sizeof audio_ext / sizeof *audio_ext; i++)
    if (strcasecmp(dot + 1, audio_ext[i]) == 0) return 1;
  return 0;
}

static char *dup_range(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* label = name of the directory holding path */
static char *label_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash) {
    const char *end = slash;
    while (end > path && end[-1] == '/') end--;
    const char *start = end;
    while (start > path && start[-1] != '/') start--;
    if (end > start && !(end - start == 1 && start[0] == '.')) return dup_range(start, end - start);
  }
  /* no directory in the path (or "./x"): the current directory's name */
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return strdup("unknown");
  const char *base = strrchr(cwd, '/');
  return strdup(base && base[1] ? base + 1 : "unknown");
}

static int push(input_list_t *list, const char *path, const char *error) {
  if (list->n == list->cap) {
    size_t cap = list->cap ? 2 * list->cap : 256;
    input_t *items = realloc(list->items, cap * sizeof *items);
    if (!items) return -1;
    list->items = items;
    list->cap = cap;
  }
  input_t *in = &list->items[list->n];
  memset(in, 0, sizeof *in);
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  const char *dot = strrchr(name, '.');
  in->path = strdup(path);
  in->name = strdup(name);
  in->stem = dot && dot != name ? dup_range(name, dot - name) : strdup(name);
  in->label = label_of(path);
  in->error = error ? strdup(error) : NULL;
  if (in->stem) {
    size_t len = 4 * strlen(in->stem) + 1;
    if ((in->file_stem = malloc(len > NAME_FILE_MAX + 1 ? len : NAME_FILE_MAX + 1)))
      name_file_bounded(in->stem, in->file_stem, len > NAME_FILE_MAX + 1 ? len : NAME_FILE_MAX + 1);
  }
  if (!in->path || !in->name || !in->stem || !in->file_stem || !in->label || (error && !in->error)) return -1;
  list->n++;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories a walk has entered, by device and inode (as find -L and
 * fts do): a link back to one of them is a loop, not a new directory. Open
 * addressing, kept under half full. */
typedef struct seen {
  struct {
    dev_t dev;
    ino_t ino;
    int used;
  } *slot;
  size_t cap, n;
} seen_t;

static size_t seen_hash(dev_t dev, ino_t ino) {
  return ((size_t)dev * 0x9e3779b97f4a7c15ull) ^ ((size_t)ino * 0xbf58476d1ce4e5b9ull);
}

/* 1 when (dev, ino) was entered before, 0 after adding it, -1 out of memory */
static int seen_add(seen_t *s, dev_t dev, ino_t ino) {
  if (2 * (s->n + 1) > s->cap) {
    seen_t big = {.cap = s->cap ? 2 * s->cap : 64};
    if (!(big.slot = calloc(big.cap, sizeof *big.slot))) return -1;
    for (size_t i = 0; i < s->cap; i++)
      if (s->slot[i].used) seen_add(&big, s->slot[i].dev, s->slot[i].ino);
    free(s->slot);
    *s = big;
  }
  size_t i = seen_hash(dev, ino) & (s->cap - 1);
  for (; s->slot[i].used; i = (i + 1) & (s->cap - 1))
    if (s->slot[i].dev == dev && s->slot[i].ino == ino) return 1;
  s->slot[i].dev = dev, s->slot[i].ino = ino, s->slot[i].used = 1;
  s->n++;
  return 0;
}

/* One directory being walked: its entries, sorted, and the next to visit */
typedef struct frame {
  char *dir, **names;
  size_t n, next;
} frame_t;

static void frame_free(frame_t *f) {
  for (size_t i = 0; i < f->n; i++) free(f->names[i]);
  free(f->names), free(f->dir);
}

/* dir's entries (hidden ones left out), sorted. 0; 1 when dir cannot be read
 * (it becomes an input naming the reason); -1 out of memory. */
static int frame_open(input_list_t *list, frame_t *f, char *dir) {
  *f = (frame_t){.dir = dir};
  DIR *d = opendir(dir);
  if (!d) return push(list, dir, strerror(errno)) ? -1 : 1;
  size_t cap = 64;
  f->names = malloc(cap * sizeof *f->names);
  int rc = f->names ? 0 : -1;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue; /* hidden, ".", ".." */
    if (f->n == cap) {
      char **more = realloc(f->names, 2 * cap * sizeof *more);
      if (!more) rc = -1;
      else f->names = more, cap *= 2;
    }
    if (!rc && !(f->names[f->n] = strdup(e->d_name))) rc = -1;
    else if (!rc) f->n++;
  }
  closedir(d);
  if (!rc) qsort(f->names, f->n, sizeof *f->names, cmp_str);
  return rc;
}

/* Depth first, entries in name order, with an explicit stack (no depth limit
 * but the system's path length): each directory entered once whatever the
 * links; a link back to a directory already entered is counted (list->loops)
 * and not followed. 0, or -1 out of memory. */
static int walk(input_list_t *list, const char *root, const struct stat *root_st) {
  seen_t seen = {0};
  size_t depth = 0, cap = 16;
  frame_t *stack = malloc(cap * sizeof *stack);
  char *dir = strdup(root);
  int rc = -1;
  if (stack && dir && seen_add(&seen, root_st->st_dev, root_st->st_ino) == 0) {
    rc = frame_open(list, &stack[0], dir);
    if (rc == 0) depth = 1;
    else frame_free(&stack[0]), rc = rc == 1 ? 0 : -1;
  } else {
    free(dir);
  }
  while (rc == 0 && depth > 0) {
    frame_t *f = &stack[depth - 1];
    if (f->next == f->n) {
      frame_free(f), depth--;
      continue;
    }
    const char *name = f->names[f->next++];
    size_t len = strlen(f->dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) {
      rc = -1;
      break;
    }
    snprintf(path, len, "%s%s%s", f->dir, f->dir[strlen(f->dir) - 1] == '/' ? "" : "/", name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
      if (is_audio_name(name)) rc = push(list, path, NULL);
      else list->skipped++;
      free(path);
      continue;
    }
    int again = seen_add(&seen, st.st_dev, st.st_ino);
    if (again) { /* a loop (or a second link to one directory): not entered twice */
      if (again > 0 && !list->loops++) list->first_loop = path;
      else free(path);
      rc = again < 0 ? -1 : 0;
      continue;
    }
    if (depth == cap) {
      frame_t *more = realloc(stack, 2 * cap * sizeof *more);
      if (!more) {
        free(path);
        rc = -1;
        break;
      }
      stack = more, cap *= 2;
    }
    int opened = frame_open(list, &stack[depth], path);
    if (opened == 0) depth++;
    else if (opened == 1) frame_free(&stack[depth]);
    else rc = -1, frame_free(&stack[depth]);
  }
  while (depth > 0) frame_free(&stack[--depth]);
  free(stack), free(seen.slot);
  return rc;
}

int inputs_add(input_list_t *list, const char *arg) {
  struct stat st;
  if (stat(arg, &st) != 0)
    return push(list, arg, errno == ENOENT ? "no such file or directory" : strerror(errno));
  if (S_ISDIR(st.st_mode)) return walk(list, arg, &st);
  return push(list, arg, NULL);
}

typedef struct {
  const char *stem;
  size_t index;
} stem_ref_t;

static int cmp_stem(const void *a, const void *b) {
  const stem_ref_t *x = a, *y = b;
  int c = strcmp(x->stem, y->stem);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

void inputs_mark_duplicates(input_list_t *list) {
  stem_ref_t *refs = malloc(list->n * sizeof *refs);
  if (!refs) return;
  for (size_t i = 0; i < list->n; i++) refs[i] = (stem_ref_t){list->items[i].stem, i};
  qsort(refs, list->n, sizeof *refs, cmp_stem);
  for (size_t i = 1; i < list->n; i++) {
    if (strcmp(refs[i].stem, refs[i - 1].stem) != 0) continue;
    /* refs sorted by index within a stem: refs[j] for the first of the run */
    size_t j = i;
    while (j > 0 && strcmp(refs[j - 1].stem, refs[i].stem) == 0) j--;
    input_t *dup = &list->items[refs[i].index];
    if (dup->error) continue;
    char msg[4200];
    snprintf(msg, sizeof msg, "duplicate file name: %s is also the name of %s (rows and mel files are keyed by name)",
             dup->stem, list->items[refs[j].index].path);
    dup->error = strdup(msg);
  }
  free(refs);
}

void inputs_free(input_list_t *list) {
  for (size_t i = 0; i < list->n; i++) {
    input_t *in = &list->items[i];
    free(in->path), free(in->name), free(in->stem), free(in->file_stem), free(in->label), free(in->error);
  }
  free(list->items), free(list->first_loop);
  memset(list, 0, sizeof *list);
}

int inputs_list(input_list_t *list, char *const *args, int n_args, int unique_stems, const char *cmd) {
  for (int i = 0; i < n_args; i++)
    if (inputs_add(list, args[i])) {
      fprintf(stderr, "genre %s: out of memory listing inputs\n", cmd);
      return -1;
    }
  if (list->loops)
    fprintf(stderr, "genre %s: note: %s leads back to a directory already searched (a link loop); %zu such link%s not "
            "followed\n", cmd, shown(list->first_loop, 0), list->loops, list->loops == 1 ? "" : "s");
  if (unique_stems) inputs_mark_duplicates(list);
  if (list->n == 0) {
    fprintf(stderr, "genre %s: no audio files found in the inputs\n", cmd);
    return -1;
  }
  return 0;
}

/* The labels table's keys in order (ties: table order), searched once per input
 * rather than scanned: a table of 10^5 files stays linear-logarithmic. */
typedef struct keyed {
  const table_t *t;
  int key;
  size_t *order; /* row indices sorted by key */
} keyed_t;

static int cmp_rows(const void *a, const void *b, void *ctx) {
  const keyed_t *k = ctx;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int c = strcmp(table_cell(k->t, i, (size_t)k->key), table_cell(k->t, j, (size_t)k->key));
  return c ? c : (i > j) - (i < j);
}

/* The first row (in table order) whose key is s, or -1. */
static long find_row(const keyed_t *k, const char *s) {
  size_t lo = 0, hi = k->t->n_rows;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(table_cell(k->t, k->order[mid], (size_t)k->key), s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < k->t->n_rows && strcmp(table_cell(k->t, k->order[lo], (size_t)k->key), s) == 0 ? (long)k->order[lo] : -1;
}

/* The labels table's row for an input: its path as given or found, else its file name. */
static long labels_row(const keyed_t *k, const input_t *in) {
  long r = find_row(k, in->path);
  return r >= 0 ? r : find_row(k, in->name);
}

/* Each input's label from its row of t (column label), or its error. 0, or -1 out of memory. */
static int relabel_each(input_list_t *list, const table_t *t, const keyed_t *k, int label, const char *csv,
                        size_t *absent, char *err, size_t errlen) {
  for (size_t i = 0; i < list->n; i++) {
    input_t *in = &list->items[i];
    long r = labels_row(k, in);
    const char *l = r >= 0 ? table_cell(t, (size_t)r, (size_t)label) : NULL;
    if (l && !*l) l = NULL;
    char *now = l ? strdup(l) : NULL;
    if (l && !now) return snprintf(err, errlen, "out of memory"), -1;
    if (now) free(in->label), in->label = now;
    else if (!in->error) { /* reported as this input's failure, not guessed */
      char why[300];
      snprintf(why, sizeof why, "no label: neither its path nor its name is in %.200s", csv);
      if (!(in->error = strdup(why))) return snprintf(err, errlen, "out of memory"), -1;
      ++*absent;
    }
  }
  return 0;
}

int inputs_relabel(input_list_t *list, const char *csv, size_t *absent, char *err, size_t errlen) {
  table_t t;
  *absent = 0;
  if (table_read(csv, &t, err, errlen)) return -1;
  int key = table_column(&t, "file"), label = table_column(&t, "label");
  if (key < 0) key = table_column(&t, "filename");
  if (key < 0) key = table_column(&t, "path");
  if (key < 0 || label < 0) {
    snprintf(err, errlen, "%s: wants a column 'file' (a file name or path) and a column 'label'", csv);
    return table_free(&t), -1;
  }
  keyed_t k = {&t, key, malloc((t.n_rows ? t.n_rows : 1) * sizeof(size_t))};
  if (!k.order) return table_free(&t), snprintf(err, errlen, "out of memory"), -1;
  for (size_t r = 0; r < t.n_rows; r++) k.order[r] = r;
  qsort_r(k.order, t.n_rows, sizeof *k.order, cmp_rows, &k);
  int rc = relabel_each(list, &t, &k, label, csv, absent, err, errlen);
  free(k.order), table_free(&t);
  return rc;
}

const char *inputs_one_label(const input_list_t *list) {
  const char *one = NULL;
  size_t usable = 0;
  for (size_t i = 0; i < list->n; i++) {
    if (list->items[i].error) continue;
    if (usable++ && strcmp(one, list->items[i].label) != 0) return NULL;
    one = list->items[i].label;
  }
  return usable > 1 ? one : NULL;
}
