#include "table.h"
#include "infile.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
  table_t *t;
  size_t *offsets; /* offsets of fields of all rows (resolved to pointers at the end) */
  size_t n_off, cap_off;
  size_t row_fields;  /* fields in the current row */
  size_t rows;        /* rows completed, header included */
  size_t bad_row, bad_fields;
  int oom;
} reader_t;

static void on_field(void *s, size_t len, void *data) {
  reader_t *r = data;
  table_t *t = r->t;
  if (r->oom) return;
  if (t->text_len + len + 1 > t->text_cap) {
    size_t cap = t->text_cap ? t->text_cap : 1 << 16;
    while (cap < t->text_len + len + 1) cap *= 2;
    char *p = realloc(t->text, cap);
    if (!p) { r->oom = 1; return; }
    t->text = p, t->text_cap = cap;
  }
  if (r->n_off == r->cap_off) {
    size_t cap = r->cap_off ? 2 * r->cap_off : 4096;
    size_t *p = realloc(r->offsets, cap * sizeof *p);
    if (!p) { r->oom = 1; return; }
    r->offsets = p, r->cap_off = cap;
  }
  const char *src = s;
  r->offsets[r->n_off++] = t->text_len;
  if (len) memcpy(t->text + t->text_len, src, len);
  t->text[t->text_len + len] = '\0';
  t->text_len += len + 1;
  r->row_fields++;
}

static void on_row(int c, void *data) {
  (void)c;
  reader_t *r = data;
  if (r->oom) return;
  if (r->rows == 0) r->t->n_cols = r->row_fields;
  else if (r->row_fields != r->t->n_cols && !r->bad_row) r->bad_row = r->rows, r->bad_fields = r->row_fields;
  r->rows++;
  r->row_fields = 0;
}

int table_read(const char *path, table_t *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  const char *why;
  FILE *f = fopen_regular(path, &why);
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
  }
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) {
    fclose(f);
    snprintf(err, errlen, "%s: cannot initialise the CSV parser", path);
    return -1;
  }
  reader_t r = {.t = t};
  char buf[1 << 16];
  size_t got, total = 0;
  int rc = -1;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
    size_t skip = 0;
    /* a UTF-8 byte order mark (spreadsheets write one) goes before the parser
     * sees it, so that a quoted first field stays quoted */
    if (total == 0 && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) skip = 3;
    total += got;
    if (csv_parse(&p, buf + skip, got - skip, on_field, on_row, &r) != got - skip) {
      snprintf(err, errlen, "%s: malformed CSV near row %zu (%s)", path, r.rows + 1,
               csv_strerror(csv_error(&p)));
      goto out;
    }
  }
  if (ferror(f)) {
    snprintf(err, errlen, "%s: read error", path);
    goto out;
  }
  csv_fini(&p, on_field, on_row, &r);
  if (r.oom) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  if (total == 0 || r.rows == 0) {
    snprintf(err, errlen, "%s: empty file", path);
    goto out;
  }
  if (r.bad_row) {
    snprintf(err, errlen, "%s: row %zu has %zu fields, the header has %zu", path, r.bad_row + 1,
             r.bad_fields, t->n_cols);
    goto out;
  }
  t->n_rows = r.rows - 1;
  t->header = malloc(t->n_cols * sizeof *t->header);
  t->cells = malloc((t->n_rows * t->n_cols + 1) * sizeof *t->cells);
  if (!t->header || !t->cells) {
    snprintf(err, errlen, "%s: out of memory", path);
    goto out;
  }
  for (size_t i = 0; i < t->n_cols; i++) t->header[i] = t->text + r.offsets[i];
  for (size_t i = 0; i < t->n_rows * t->n_cols; i++) t->cells[i] = t->text + r.offsets[t->n_cols + i];
  rc = 0;
out:
  csv_free(&p);
  fclose(f);
  free(r.offsets);
  if (rc) table_free(t);
  return rc;
}

/* table_scan's state: the current row's fields (text and offsets) */
typedef struct scanner {
  char *text, **fields;
  size_t *offsets, len, cap, n, cap_n;
  size_t rows, header_n;
  table_row_fn on_row;
  void *ctx;
  int stop; /* the callback's return, -2 out of memory, -3 a ragged row */
} scanner_t;

static void scan_field(void *s, size_t len, void *data) {
  scanner_t *sc = data;
  if (sc->stop) return;
  if (sc->len + len + 1 > sc->cap) {
    size_t cap = sc->cap ? sc->cap : 4096;
    while (cap < sc->len + len + 1) cap *= 2;
    char *p = realloc(sc->text, cap);
    if (!p) return (void)(sc->stop = -2);
    sc->text = p, sc->cap = cap;
  }
  if (sc->n == sc->cap_n) {
    size_t cap = sc->cap_n ? 2 * sc->cap_n : 128;
    size_t *p = realloc(sc->offsets, cap * sizeof *p);
    char **q = p ? realloc(sc->fields, cap * sizeof *q) : NULL;
    if (p) sc->offsets = p;
    if (!q) return (void)(sc->stop = -2);
    sc->fields = q, sc->cap_n = cap;
  }
  sc->offsets[sc->n++] = sc->len;
  if (len) memcpy(sc->text + sc->len, s, len);
  sc->text[sc->len + len] = '\0';
  sc->len += len + 1;
}

static void scan_row(int c, void *data) {
  (void)c;
  scanner_t *sc = data;
  if (sc->stop) return;
  if (sc->rows == 0) sc->header_n = sc->n;
  else if (sc->n != sc->header_n) return (void)(sc->stop = -3);
  for (size_t i = 0; i < sc->n; i++) sc->fields[i] = sc->text + sc->offsets[i];
  sc->rows++;
  sc->stop = sc->on_row(sc->ctx, sc->rows, sc->fields, sc->n);
  sc->n = sc->len = 0;
}

int table_scan(const char *path, table_row_fn on_row, void *ctx, char *err, size_t errlen) {
  const char *why;
  FILE *f = fopen_regular(path, &why);
  if (!f) return snprintf(err, errlen, "%s: %s", path, why), -1;
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) {
    fclose(f);
    return snprintf(err, errlen, "%s: cannot initialise the CSV parser", path), -1;
  }
  scanner_t sc = {.on_row = on_row, .ctx = ctx};
  static __thread char buf[1 << 16];
  size_t got, total = 0;
  int rc = -1;
  while (!sc.stop && (got = fread(buf, 1, sizeof buf, f)) > 0) {
    size_t skip = total == 0 && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* as table_read */
    total += got;
    if (csv_parse(&p, buf + skip, got - skip, scan_field, scan_row, &sc) != got - skip) {
      snprintf(err, errlen, "%s: malformed CSV near row %zu (%s)", path, sc.rows + 1, csv_strerror(csv_error(&p)));
      goto out;
    }
  }
  if (!sc.stop && ferror(f)) {
    snprintf(err, errlen, "%s: read error", path);
    goto out;
  }
  if (!sc.stop) csv_fini(&p, scan_field, scan_row, &sc);
  if (sc.stop == -2) snprintf(err, errlen, "%s: out of memory", path);
  else if (sc.stop == -3)
    snprintf(err, errlen, "%s: row %zu has %zu fields, the header has %zu", path, sc.rows + 1, sc.n, sc.header_n);
  else if (!sc.stop && (total == 0 || sc.rows == 0)) snprintf(err, errlen, "%s: empty file", path);
  else rc = sc.stop;
out:
  csv_free(&p);
  fclose(f);
  free(sc.text), free(sc.offsets), free(sc.fields);
  return rc;
}

void table_free(table_t *t) {
  free(t->header);
  free(t->cells);
  free(t->text);
  memset(t, 0, sizeof *t);
}

int table_column(const table_t *t, const char *name) {
  for (size_t i = 0; i < t->n_cols; i++)
    if (strcmp(t->header[i], name) == 0) return (int)i;
  return -1;
}

int parse_finite(const char *s, double *v) {
  while (*s == ' ' || *s == '\t') s++;
  if (!*s) return -1;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  while (*end == ' ' || *end == '\t') end++;
  if (*end || !isfinite(x)) return -1;
  *v = x;
  return 0;
}
