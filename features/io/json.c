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

void json_raw(json_t *j, const char *text) {
  value_start(j);
  fputs(text, j->f);
}

/* --- reading --------------------------------------------------------------------- */

typedef struct parser {
  const char *s, *p;
  int depth;
  char *err;
  size_t errlen;
} parser_t;

static int fail(parser_t *ps, const char *what) {
  snprintf(ps->err, ps->errlen, "%s at byte %ld", what, (long)(ps->p - ps->s));
  return -1;
}

static void skip_space(parser_t *ps) {
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int hex4(const char *p, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    *v = *v * 16 + (unsigned)d;
  }
  return 0;
}

static size_t put_utf8(char *o, unsigned c) {
  if (c < 0x80) return o[0] = (char)c, 1;
  if (c < 0x800) return o[0] = (char)(0xc0 | c >> 6), o[1] = (char)(0x80 | (c & 63)), 2;
  if (c < 0x10000) return o[0] = (char)(0xe0 | c >> 12), o[1] = (char)(0x80 | (c >> 6 & 63)), o[2] = (char)(0x80 | (c & 63)), 3;
  o[0] = (char)(0xf0 | c >> 18), o[1] = (char)(0x80 | (c >> 12 & 63));
  return o[2] = (char)(0x80 | (c >> 6 & 63)), o[3] = (char)(0x80 | (c & 63)), 4;
}

/* A string at ps->p (its opening quote): a new C string, or NULL. */
static char *parse_string(parser_t *ps) {
  const char *start = ++ps->p;
  size_t cap = 1;
  for (const char *q = start; *q && *q != '"'; q++) cap += 4, q += *q == '\\' && q[1];
  char *out = malloc(cap), *o = out;
  if (!out) return fail(ps, "out of memory"), NULL;
  while (*ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (!c || c < 0x20) return free(out), fail(ps, c ? "a control character in a string" : "an unterminated string"), NULL;
    if (c != '\\') { *o++ = (char)c, ps->p++; continue; }
    char e = ps->p[1];
    const char *plain = strchr("\"\\/bfnrt", e);
    if (e && plain) {
      *o++ = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"], ps->p += 2;
      continue;
    }
    unsigned u, lo;
    if (e != 'u' || hex4(ps->p + 2, &u)) return free(out), fail(ps, "a bad escape"), NULL;
    ps->p += 6;
    if (u >= 0xd800 && u < 0xdc00 && ps->p[0] == '\\' && ps->p[1] == 'u' && !hex4(ps->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000)
      u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00), ps->p += 6;
    o += put_utf8(o, u);
  }
  ps->p++;
  *o = 0;
  return out;
}

static int parse_value(parser_t *ps, json_value_t *v);

/* The items of an array or object (after its opening bracket). */
static int parse_items(parser_t *ps, json_value_t *v, char close) {
  size_t cap = 0;
  skip_space(ps);
  if (*ps->p == close) return ps->p++, 0;
  for (;;) {
    if (v->n == cap) {
      cap = cap ? 2 * cap : 8;
      json_value_t *items = realloc(v->items, cap * sizeof *items);
      char **keys = close == '}' ? realloc(v->keys, cap * sizeof *keys) : NULL;
      if (items) v->items = items;
      if (keys) v->keys = keys;
      if (!items || (close == '}' && !keys)) return fail(ps, "out of memory");
    }
    json_value_t *item = &v->items[v->n];
    memset(item, 0, sizeof *item);
    skip_space(ps);
    if (close == '}') {
      if (*ps->p != '"') return fail(ps, "a key expected");
      if (!(v->keys[v->n] = parse_string(ps))) return -1;
      skip_space(ps);
      if (*ps->p++ != ':') return v->n++, item->type = JSON_NULL, fail(ps, "':' expected");
    }
    v->n++;
    if (parse_value(ps, item)) return -1;
    skip_space(ps);
    if (*ps->p == ',') { ps->p++; continue; }
    if (*ps->p == close) return ps->p++, 0;
    return fail(ps, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
  }
}

static int parse_value(parser_t *ps, json_value_t *v) {
  skip_space(ps);
  memset(v, 0, sizeof *v);
  char c = *ps->p;
  if (c == '{' || c == '[') {
    if (++ps->depth > 64) return fail(ps, "nested too deep");
    v->type = c == '{' ? JSON_OBJECT : JSON_ARRAY;
    ps->p++;
    int rc = parse_items(ps, v, c == '{' ? '}' : ']');
    ps->depth--;
    return rc;
  }
  if (c == '"') return v->type = JSON_STRING, (v->string = parse_string(ps)) ? 0 : -1;
  static const struct { const char *word; int type; } words[] = {{"null", JSON_NULL}, {"true", JSON_TRUE}, {"false", JSON_FALSE}};
  for (int i = 0; i < 3; i++)
    if (strncmp(ps->p, words[i].word, strlen(words[i].word)) == 0) return v->type = words[i].type, ps->p += strlen(words[i].word), 0;
  char *end;
  if (c == '-' || (c >= '0' && c <= '9')) {
    v->type = JSON_NUMBER, v->number = strtod(ps->p, &end);
    if (end > ps->p) return ps->p = end, 0;
  }
  return fail(ps, c ? "a value expected" : "the text ends early");
}

int json_parse(const char *text, json_value_t *out, char *err, size_t errlen) {
  parser_t ps = {text, text, 0, err, errlen};
  if (parse_value(&ps, out)) return json_value_free(out), -1;
  skip_space(&ps);
  if (*ps.p) return json_value_free(out), fail(&ps, "text after the value");
  return 0;
}

void json_value_free(json_value_t *v) {
  for (size_t i = 0; i < v->n; i++) {
    json_value_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items), free(v->keys), free(v->string);
  memset(v, 0, sizeof *v);
}

const json_value_t *json_get(const json_value_t *v, const char *key) {
  if (!v || v->type != JSON_OBJECT) return NULL;
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(v->keys[i], key) == 0) return &v->items[i];
  return NULL;
}
