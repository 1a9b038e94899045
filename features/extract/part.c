#include "part.h"

#include <stdlib.h>
#include <string.h>

#include "outfile.h"

void part_key(FILE *f, const char *name, const char *label, const struct stat *st) {
  fputs("#part,2,", f);
  csv_put_text(f, name, 1);
  csv_put_text(f, label, 0);
  fprintf(f, ",%lld,%lld%09ld\n", (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* A scan of a part's bytes, fed in blocks: the key compared (or, with key
 * NULL, the first record taken as the key), CSV records counted (a newline
 * inside quotes belongs to its field), the start of the last two records and
 * the text of the last one kept. */
typedef struct scan {
  const char *key;
  size_t key_len, at;     /* bytes seen */
  int quoted, bad, key_done;
  size_t records;         /* after the key, finished */
  size_t start[3];        /* offsets: the record before the last finished one, the last finished one, the current one */
  char last[64];          /* the current record's first bytes */
  size_t last_len;
  char end[64];           /* the last finished record, when short */
  size_t end_len;
} scan_t;

static void scan_feed(scan_t *s, const char *p, size_t n) {
  for (size_t i = 0; i < n && !s->bad; i++, s->at++) {
    char c = p[i];
    if (c == '\0') s->bad = 1;
    if (c == '"') s->quoted = !s->quoted; /* "" inside a field toggles twice */
    if (!s->key_done) {
      if (s->key && c != s->key[s->at]) s->bad = 1;
      if (s->key ? s->at + 1 == s->key_len : c == '\n' && !s->quoted) {
        s->key_len = s->at + 1, s->key_done = 1;
        s->start[0] = s->start[1] = s->start[2] = s->key_len;
      }
      continue;
    }
    if (s->last_len < sizeof s->last) s->last[s->last_len] = c;
    s->last_len++;
    if (c != '\n' || s->quoted) continue;
    s->records++;
    s->end_len = s->last_len <= sizeof s->end ? s->last_len : 0;
    memcpy(s->end, s->last, s->end_len);
    s->start[0] = s->start[1], s->start[1] = s->start[2], s->start[2] = s->at + 1, s->last_len = 0;
  }
}

/* "#end,<samples>,<segments>\n" as the last record, and the counts it states
 * agree with the rows. */
static int scan_finish(const scan_t *s, unsigned long long *samples, unsigned long long *segments) {
  if (s->bad || !s->key_done || s->at <= s->key_len || s->last_len != 0 || s->end_len < 6 || memcmp(s->end, "#end,", 5) != 0) return -1;
  unsigned long long v[2] = {0, 0};
  size_t i = 5;
  for (int k = 0; k < 2; k++) {
    size_t digits = 0;
    while (i < s->end_len && s->end[i] >= '0' && s->end[i] <= '9' && digits < 19) v[k] = v[k] * 10 + (unsigned)(s->end[i++] - '0'), digits++;
    if (!digits || i >= s->end_len || s->end[i++] != (k ? '\n' : ',')) return -1;
  }
  if (i != s->end_len || v[0] == 0 || v[1] != v[0] / 66150 || s->records != v[1] + 2) return -1;
  *samples = v[0], *segments = v[1];
  return 0;
}

int part_check(const char *text, size_t n, const char *key, size_t key_len, unsigned long long *samples,
               unsigned long long *segments) {
  scan_t s = {.key = key, .key_len = key_len};
  scan_feed(&s, text, n);
  return scan_finish(&s, samples, segments);
}

/* Scans a whole file; 0 with the scan, or -1. */
static int scan_file(FILE *f, scan_t *s, unsigned long long *samples, unsigned long long *segments) {
  char buf[1 << 16];
  size_t got;
  while (!s->bad && (got = fread(buf, 1, sizeof buf, f)) > 0) scan_feed(s, buf, got);
  return ferror(f) ? -1 : scan_finish(s, samples, segments);
}

int part_check_file(const char *path, const char *key, size_t key_len, unsigned long long *samples,
                    unsigned long long *segments) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  scan_t s = {.key = key, .key_len = key_len};
  int rc = scan_file(f, &s, samples, segments);
  fclose(f);
  return rc;
}

static int copy_range(FILE *f, long from, long to, FILE *out) {
  char buf[1 << 16];
  if (fseek(f, from, SEEK_SET) != 0) return -1;
  for (long left = to - from; left > 0;) {
    size_t want = left < (long)sizeof buf ? (size_t)left : sizeof buf, got = fread(buf, 1, want, f);
    if (got != want) return -1;
    fwrite(buf, 1, got, out); /* a failed write stays in out's error state, for its commit to report */
    left -= (long)got;
  }
  return 0;
}

int part_copy(const char *path, FILE *t30, FILE *t3) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  scan_t s = {0}; /* any key: the part was checked (or just written) for this source */
  unsigned long long samples, segments;
  int rc = scan_file(f, &s, &samples, &segments) == 0 && copy_range(f, (long)s.key_len, (long)s.start[0], t3) == 0 &&
                   copy_range(f, (long)s.start[0], (long)s.start[1], t30) == 0
               ? 0
               : -1;
  fclose(f);
  return rc;
}
