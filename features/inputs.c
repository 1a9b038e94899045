#include "inputs.h"
#include "names.h"

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
    if ((in->file_stem = malloc(len))) name_file(in->stem, in->file_stem, len);
  }
  if (!in->path || !in->name || !in->stem || !in->file_stem || !in->label || (error && !in->error)) return -1;
  list->n++;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(input_list_t *list, const char *dir, int depth) {
  if (depth > 64) return 0; /* a symlink loop, most likely */
  DIR *d = opendir(dir);
  if (!d) return push(list, dir, strerror(errno));
  size_t n = 0, cap = 64;
  char **names = malloc(cap * sizeof *names);
  struct dirent *e;
  int rc = names ? 0 : -1;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* hidden, ".", ".." */
    if (n == cap) {
      char **more = realloc(names, 2 * cap * sizeof *names);
      if (!more) {
        rc = -1;
        break;
      }
      names = more, cap *= 2;
    }
    if (!(names[n] = strdup(e->d_name))) rc = -1;
    else n++;
  }
  closedir(d);
  if (!rc) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && !rc; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = malloc(len);
    if (!path) {
      rc = -1;
      break;
    }
    snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) rc = walk(list, path, depth + 1);
    else if (is_audio_name(names[i])) rc = push(list, path, NULL);
    else list->skipped++;
    free(path);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

int inputs_add(input_list_t *list, const char *arg) {
  struct stat st;
  if (stat(arg, &st) != 0)
    return push(list, arg, errno == ENOENT ? "no such file or directory" : strerror(errno));
  if (S_ISDIR(st.st_mode)) return walk(list, arg, 0);
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
  free(list->items);
  memset(list, 0, sizeof *list);
}

int inputs_list(input_list_t *list, char *const *args, int n_args, int unique_stems, const char *cmd) {
  for (int i = 0; i < n_args; i++)
    if (inputs_add(list, args[i])) {
      fprintf(stderr, "genre %s: out of memory listing inputs\n", cmd);
      return -1;
    }
  if (unique_stems) inputs_mark_duplicates(list);
  if (list->n == 0) {
    fprintf(stderr, "genre %s: no audio files found in the inputs\n", cmd);
    return -1;
  }
  return 0;
}
