#include "outfile.h"
#include "names.h"

#include <csv.h>
#include <ctype.h>
#include <dirent.h>
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

/* Every temporary is ".<name>.XXXXXX" beside its output, six characters of
 * letters and digits at the end: hidden, and recognisable by
 * outfile_remove_stale after a crash. */
#define TMP_SUFFIX_LEN 6
static void tmp_name(char *buf, size_t len, const char *path, const char *suffix) {
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  snprintf(buf, len, "%.*s.%s.%s", dir_len, path, slash ? slash + 1 : path, suffix);
}

void outfile_remove_stale(const char *dir, const char *const *ours, int n_ours) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    const char *name = e->d_name;
    size_t len = strlen(name), stem = len - TMP_SUFFIX_LEN - 2; /* without the dots and suffix */
    if (name[0] != '.' || len < TMP_SUFFIX_LEN + 3 || name[len - TMP_SUFFIX_LEN - 1] != '.') continue;
    int tmp = 1;
    for (size_t i = len - TMP_SUFFIX_LEN; i < len; i++) tmp &= isalnum((unsigned char)name[i]) != 0;
    if (!tmp) continue;
    int match = ours == NULL;
    for (int k = 0; k < n_ours && !match; k++) match = strlen(ours[k]) == stem && memcmp(name + 1, ours[k], stem) == 0;
    if (match) unlinkat(dirfd(d), name, 0);
  }
  closedir(d);
}

/* The stream writes through these, so that the first failed write's errno is
 * kept for the message (stdio keeps only a flag). */
typedef struct sink {
  int fd;
  int error; /* errno of the first failed write, 0 if none */
} sink_t;

static ssize_t sink_write(void *cookie, const char *buf, size_t n) {
  sink_t *s = cookie;
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(s->fd, buf + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (!s->error) s->error = w < 0 ? errno : EIO;
      return done ? (ssize_t)done : -1;
    }
    done += (size_t)w;
  }
  return (ssize_t)n;
}

static int sink_close(void *cookie) {
  sink_t *s = cookie;
  int rc = close(s->fd);
  if (rc != 0 && !s->error) s->error = errno;
  return rc;
}

int outfile_open(outfile_t *o, const char *path, char *err, size_t errlen) {
  pthread_once(&mode_once, read_umask);
  memset(o, 0, sizeof *o);
  if (strlen(path) >= sizeof o->path - 16) {
    snprintf(err, errlen, "%s: path too long", path);
    return -1;
  }
  snprintf(o->path, sizeof o->path, "%s", path);
  tmp_name(o->tmp, sizeof o->tmp, path, "XXXXXX");
  sink_t *s = calloc(1, sizeof *s);
  int fd = s ? mkstemp(o->tmp) : -1;
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot create: %s", path, s ? strerror(errno) : "out of memory");
    free(s);
    return -1;
  }
  fchmod(fd, file_mode); /* mkstemp creates 0600; outputs are ordinary files */
  s->fd = fd;
  o->f = fopencookie(s, "w", (cookie_io_functions_t){.write = sink_write, .close = sink_close});
  if (!o->f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    unlink(o->tmp);
    free(s);
    return -1;
  }
  o->sink = s;
  track(o->tmp, 1);
  return 0;
}

int outfile_finish(outfile_t *o, int durable, char *err, size_t errlen) {
  if (!o->f) {
    snprintf(err, errlen, "%s: not open", o->path);
    return -1;
  }
  sink_t *s = o->sink;
  int bad = ferror(o->f) || fflush(o->f) != 0;
  if (!bad && durable && fsync(s->fd) != 0) bad = 1, s->error = errno;
  if (fclose(o->f) != 0) bad = 1;
  o->f = NULL;
  int saved = s->error ? s->error : EIO;
  free(s);
  o->sink = NULL;
  if (bad) {
    snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(saved));
    unlink(o->tmp);
    track(o->tmp, 0);
    return -1;
  }
  o->finished = 1;
  return 0;
}

int outfile_install(outfile_t *o, char *err, size_t errlen) {
  if (!o->finished) return snprintf(err, errlen, "%s: not finished", o->path), -1;
  o->finished = 0;
  int bad = rename(o->tmp, o->path) != 0, saved = errno;
  if (bad) {
    snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(saved));
    unlink(o->tmp);
  }
  track(o->tmp, 0);
  return bad ? -1 : 0;
}

int outfile_commit(outfile_t *o, int durable, char *err, size_t errlen) {
  if (outfile_finish(o, durable, err, errlen)) return -1;
  return outfile_install(o, err, errlen);
}

void outfile_abort(outfile_t *o) {
  if (o->finished) {
    o->finished = 0;
    unlink(o->tmp);
    track(o->tmp, 0);
    return;
  }
  if (!o->f) return;
  fclose(o->f);
  o->f = NULL;
  free(o->sink);
  o->sink = NULL;
  unlink(o->tmp);
  track(o->tmp, 0);
}

int outfile_error(const outfile_t *o) {
  const sink_t *s = o->sink;
  return s && s->error ? s->error : EIO;
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
  if (!utf8_valid(s)) { /* each stray byte as \xHH: the table stays UTF-8 */
    size_t len = 4 * strlen(s) + 1;
    char *esc = malloc(len);
    if (esc) csv_put_text(f, name_utf8(s, esc, len), first);
    else fputs(first ? "" : ",", f); /* out of memory: an empty field */
    free(esc);
    return;
  }
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

int publish_stage(const char *src, const char *dst, char *tmp, size_t len, char *err, size_t errlen) {
  char suffix[16];
  if (strlen(dst) + 16 >= len) return snprintf(err, errlen, "%s: path too long", dst), -1;
  for (int attempt = 0; attempt < 100; attempt++) { /* a hard link under a temporary name */
    snprintf(suffix, sizeof suffix, "%06d", (int)((getpid() * 7919 + attempt) % 1000000));
    tmp_name(tmp, len, dst, suffix);
    if (link(src, tmp) == 0) return 0;
    if (errno == ENOSPC || errno == EDQUOT) return snprintf(err, errlen, "%s: %s", dst, strerror(errno)), -1;
    if (errno != EEXIST) break;
  }
  /* a file system without hard links: a copy */
  FILE *in = fopen(src, "rb");
  if (!in) return snprintf(err, errlen, "%s: %s", src, strerror(errno)), -1;
  outfile_t o;
  if (outfile_open(&o, dst, err, errlen)) return fclose(in), -1;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, o.f) != n) break;
  int bad = ferror(in);
  fclose(in);
  if (bad) {
    outfile_abort(&o);
    return snprintf(err, errlen, "%s: read error", src), -1;
  }
  if (outfile_finish(&o, 0, err, errlen)) return -1;
  track(o.tmp, 0); /* the caller's now */
  snprintf(tmp, len, "%s", o.tmp);
  return 0;
}

int publish_switch(const char *tmp, const char *dst, char *err, size_t errlen) {
  if (rename(tmp, dst) != 0) {
    int e = errno;
    unlink(tmp);
    return snprintf(err, errlen, "%s: %s", dst, strerror(e)), -1;
  }
  unlink(tmp); /* rename does nothing when dst is already a link to the same file */
  return 0;
}

int publish_file(const char *src, const char *dst, char *err, size_t errlen) {
  char tmp[4096];
  if (publish_stage(src, dst, tmp, sizeof tmp, err, errlen)) return -1;
  return publish_switch(tmp, dst, err, errlen);
}

int outfile_rewrite(outfile_t *o, long offset, const void *data, size_t n) {
  sink_t *s = o->sink;
  if (fflush(o->f) != 0 || !s) return -1;
  ssize_t w = pwrite(s->fd, data, n, offset);
  if (w != (ssize_t)n) {
    if (!s->error) s->error = w < 0 ? errno : EIO;
    return -1;
  }
  return 0;
}
