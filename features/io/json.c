#include "json.h"

#include <math.h>

#include "names.h"
#include "outfile.h"
#include <stdlib.h>
#include <string.h>

static void sep(json_t *j) {
  if (!j->first[j->depth]) fputc(',', j->f);
  j->first[j->depth] = 0;
  fputc('\n', j->f);
  for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

static void value_start(json_t *j) {
  if (j->in_key) j->in_key = 0;
  else sep(j);
}

void json_begin(json_t *j, FILE *f) {
  j->f = f, j->depth = 0;
  fputc('{', f);
  j->depth = 1;
  j->first[1] = 1;
  j->in_key = 0;
}

void json_end(json_t *j) {
  fputs("\n}\n", j->f);
  j->depth = 0;
}

void json_put_text(FILE *f, const char *s, int in_html) {
  char *esc = NULL;
  if (!utf8_valid(s)) { /* JSON is UTF-8: stray bytes as \xHH text (names.h) */
    size_t len = 4 * strlen(s) + 1;
    if ((esc = malloc(len))) s = name_utf8(s, esc, len);
    else s = "";
  }
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f || (in_html && (*p == '<' || *p == '>' || *p == '&'))) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
  free(esc);
}

void json_put_string(FILE *f, const char *s) { json_put_text(f, s, 0); }

void json_key(json_t *j, const char *key) {
  sep(j);
  json_put_string(j->f, key);
  fputs(": ", j->f);
  j->in_key = 1;
}

void json_object(json_t *j) {
  value_start(j);
  fputc('{', j->f);
  j->first[++j->depth] = 1;
}

void json_array(json_t *j) {
  value_start(j);
  fputc('[', j->f);
  j->first[++j->depth] = 1;
}

void json_close(json_t *j, int object) {
  int empty = j->first[j->depth];
  j->depth--;
  if (!empty) {
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
  }
  fputc(object ? '}' : ']', j->f);
}

void json_number(json_t *j, double v) {
  value_start(j);
  if (!isfinite(v)) {
    fputs("null", j->f);
    return;
  }
  char buf[40];
  format_double(v, buf, sizeof buf);
  fputs(buf, j->f);
}

void json_int(json_t *j, long long v) {
  value_start(j);
  fprintf(j->f, "%lld", v);
}

void json_string(json_t *j, const char *s) {
  value_start(j);
  json_put_string(j->f, s);
}

void json_bool(json_t *j, int v) {
  value_start(j);
  fputs(v ? "true" : "false", j->f);
}

void json_counts(json_t *j, const char *key, const long *m, int rows, int cols) {
  json_key(j, key), json_array(j);
  for (int i = 0; i < rows; i++) {
    json_array(j);
    for (int c = 0; c < cols; c++) json_int(j, m[(size_t)i * cols + c]);
    json_close(j, 0);
  }
  json_close(j, 0);
}
