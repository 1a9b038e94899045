/* A small JSON writer: objects, arrays, numbers (shortest round-trip form),
 * strings escaped per RFC 8259. Commas and indentation are tracked. */
#ifndef GENRE_JSON_H
#define GENRE_JSON_H

#include <stddef.h>
#include <stdio.h>

typedef struct json {
  FILE *f;
  int depth;
  int first[32]; /* no element written yet at this depth */
  int in_key;    /* a key was just written: its value follows on the same line */
} json_t;

void json_begin(json_t *j, FILE *f);       /* opens the top-level object */
void json_end(json_t *j);                  /* closes it */
void json_key(json_t *j, const char *key); /* inside an object, before a value */
void json_object(json_t *j);
void json_array(json_t *j);
void json_close(json_t *j, int object);    /* closes the innermost object (1) or array (0) */
void json_number(json_t *j, double v);     /* NaN and Inf become null */
void json_int(json_t *j, long long v);
void json_string(json_t *j, const char *s);
void json_bool(json_t *j, int v);
/* "key": [[m[0][0], ...], ...], a rows x cols matrix of counts (row-major),
 * one row per line: a confusion matrix. */
void json_counts(json_t *j, const char *key, const long *m, int rows, int cols);
/* A value given as JSON text (a nested object written elsewhere), as is. */
void json_raw(json_t *j, const char *text);

/* --- reading: a parsed document ---------------------------------------------- */
enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };
typedef struct json_value {
  int type;
  double number;
  char *string;              /* JSON_STRING */
  struct json_value *items;  /* JSON_ARRAY, JSON_OBJECT: n values */
  char **keys;               /* JSON_OBJECT: n keys */
  size_t n;
} json_value_t;
/* Parses text (UTF-8, RFC 8259; nesting up to 64 deep). 0, or -1 with the
 * reason and its byte offset. */
int json_parse(const char *text, json_value_t *out, char *err, size_t errlen);
void json_value_free(json_value_t *v);
/* The member `key` of an object (NULL when absent or v is not an object). */
const json_value_t *json_get(const json_value_t *v, const char *key);

/* A string literal alone (for one-line records). */
void json_put_string(FILE *f, const char *s);
/* The same; with in_html, '<', '>' and '&' as \u escapes too, so the JSON can
 * sit inside an HTML <script> element. */
void json_put_text(FILE *f, const char *s, int in_html);

#endif
