#include "outfile.h"

#include <csv.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Registry of open temporaries, so a signal handler can remove them. */
#define MAX_OPEN 4096
static char *volatile open_tmps[MAX_OPEN];
static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;

static void track(char *tmp, int add) {
  pthread_mutex_lock(&registry);
  for (int i = 0; i < MAX_OPEN; i++) {
    if (add && !open_tmps[i]) {
      open_tmps[i] = tmp;
      break;
    }
    if (!add && open_tmps[i] == tmp) {
      open_tmps[i] = NULL;
      break;
    }
  }
  pthread_mutex_unlock(&registry);
}

void outfile_abort_all_signal_safe(void) {
  for (int i = 0; i < MAX_OPEN; i++) {
    char *t = open_tmps[i];
    if (t) unlink(t);
  }
}

static mode_t file_mode = 0644;
static pthread_once_t mode_once = PTHREAD_ONCE_INIT;
static void read_umask(void) {
  mode_t m = umask(022);
  umask(m);
  file_mode = 0666 & ~m;
}

int outfile_open(outfile_t *o, const char *path, char *err, size_t errlen) {
  pthread_once(&mode_once, read_umask);
  memset(o, 0, sizeof *o);
  if (strlen(path) >= sizeof o->path - 16) {
    snprintf(err, errlen, "%s: path too long", path);
    return -1;
  }
  snprintf(o->path, sizeof o->path, "%s", path);
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.XXXXXX", dir_len, path, slash ? slash + 1 : path);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return -1;
  }
  fchmod(fd, file_mode); /* mkstemp creates 0600; outputs are ordinary files */
  o->f = fdopen(fd, "w");
  if (!o->f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    unlink(o->tmp);
    return -1;
  }
  track(o->tmp, 1);
  return 0;
}

int outfile_commit(outfile_t *o, int durable, char *err, size_t errlen) {
  if (!o->f) {
    snprintf(err, errlen, "%s: not open", o->path);
    return -1;
  }
  int bad = ferror(o->f) || fflush(o->f) != 0;
  int saved = errno;
  if (!bad && durable && fsync(fileno(o->f)) != 0) bad = 1, saved = errno;
  if (fclose(o->f) != 0 && !bad) bad = 1, saved = errno;
  o->f = NULL;
  if (!bad && rename(o->tmp, o->path) != 0) bad = 1, saved = errno;
  if (bad) {
    snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(saved ? saved : EIO));
    unlink(o->tmp);
  }
  track(o->tmp, 0);
  return bad ? -1 : 0;
}

void outfile_abort(outfile_t *o) {
  if (!o->f) return;
  fclose(o->f);
  o->f = NULL;
  unlink(o->tmp);
  track(o->tmp, 0);
}

void format_double(double v, char *buf, size_t len) {
  if (!isfinite(v)) {
    snprintf(buf, len, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

void csv_put_text(FILE *f, const char *s, int first) {
  if (!first) fputc(',', f);
  /* quote only when needed, so plain names stay plain */
  if (strpbrk(s, ",\"\r\n") || (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ')))
    csv_fwrite(f, s, strlen(s));
  else
    fputs(s, f);
}

void csv_put_number(FILE *f, double v, int first) {
  char buf[40];
  format_double(v, buf, sizeof buf);
  if (!first) fputc(',', f);
  fputs(buf, f);
}

void csv_put_integer(FILE *f, long long v, int first) {
  if (!first) fputc(',', f);
  fprintf(f, "%lld", v);
}

void csv_end_row(FILE *f) { fputc('\n', f); }

int make_dirs(const char *path, char *err, size_t errlen) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) break;
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s: not a directory", path);
    return -1;
  }
  return 0;
}


static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path) {
  return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT ? -1 : 0;
}
