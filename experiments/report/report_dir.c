/* Where a report may go: -o names a directory that the experiment replaces
 * whole, so it must be new, empty, or an earlier report -- never a folder of
 * other files, and never one that holds the experiment's own data. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* 1 when dir (a real path) is path or one of its parents. */
static int holds(const char *dir, const char *path) {
  size_t n = strlen(dir);
  return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/' || (n == 1 && dir[0] == '/'));
}

/* What a report holds: every report has these two (report_write). */
static int is_report(const char *out) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/metrics.json", out);
  if (access(path, F_OK) != 0) return 0;
  snprintf(path, sizeof path, "%s/report.md", out);
  return access(path, F_OK) == 0;
}

/* The first entry of dir (other than . and ..) into first, and how many there are. */
static long entries(const char *dir, char *first, size_t len) {
  DIR *d = opendir(dir);
  long n = 0;
  *first = '\0';
  for (struct dirent *e; d && (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (!n++) snprintf(first, len, "%s", e->d_name);
  }
  if (d) closedir(d);
  return d ? n : -1;
}

int report_dir_check(const char *out, const char *data, char *err, size_t errlen) {
  struct stat st;
  char real_out[PATH_MAX], real_data[PATH_MAX], first[256];
  if (lstat(out, &st) != 0) return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", out, strerror(errno)), -1);
  if (!S_ISDIR(st.st_mode))
    return snprintf(err, errlen, "-o %s: a file is in the way (the report is a directory)", out), -1;
  if (data && realpath(out, real_out) && realpath(data, real_data) && holds(real_out, real_data))
    return snprintf(err, errlen, "-o %s holds the data (%s): the report replaces its directory whole; choose another, "
                    "such as results/NAME", out, data), -1;
  if (is_report(out)) return 0;
  long n = entries(out, first, sizeof first);
  if (n < 0) return snprintf(err, errlen, "%s: %s", out, strerror(errno)), -1;
  if (n > 0)
    return snprintf(err, errlen, "-o %s is a directory of other files ('%s'%s), not an earlier report: the report "
                    "replaces its directory whole; choose a new or empty one", out, first,
                    n > 1 ? " among others" : ""), -1;
  return 0;
}
