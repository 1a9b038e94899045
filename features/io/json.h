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
/* A string literal alone (for one-line records). */
void json_put_string(FILE *f, const char *s);
/* The same; with in_html, '<', '>' and '&' as \u escapes too, so the JSON can
 * sit inside an HTML <script> element. */
void json_put_text(FILE *f, const char *s, int in_html);

#endif
