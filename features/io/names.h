/* File names as text. A Unix file name is any bytes but '/' and NUL: a
 * newline, a quote, a comma, bytes that are not UTF-8. Tables keep valid
 * UTF-8 names exactly (CSV quoting carries newlines, quotes and commas) and
 * write each byte that is not part of valid UTF-8 as the four characters
 * \xHH (HH: upper-case hex), so one bad name never makes a table invalid
 * UTF-8. One-line displays (a terminal, Markdown, SVG) also escape control
 * characters (\n, \r, \t, \xHH). Files this tool names after an input (.npy
 * and part files) escape control characters, bytes that are not UTF-8, '%'
 * and '\' as %HH, so every name on disk is printable UTF-8. */
#ifndef GENRE_NAMES_H
#define GENRE_NAMES_H

#include <stddef.h>

/* Bytes of the valid UTF-8 character at s[0..n), or 0 when it is not one. */
int utf8_char_len(const unsigned char *s, size_t n);
/* 1 when s is valid UTF-8 throughout. */
int utf8_valid(const char *s);

/* Each writes s escaped into out[len] (always terminated; len >= 4 * strlen(s)
 * + 1 never truncates) and returns out. */
char *name_utf8(const char *s, char *out, size_t len);    /* invalid bytes as \xHH */
char *name_display(const char *s, char *out, size_t len); /* also control characters */
char *name_file(const char *s, char *out, size_t len);    /* %HH, for names on disk */

/* name_file, cut to at most NAME_FILE_MAX bytes: a longer one keeps a prefix
 * and ends in ~ and 16 hex digits of a hash of the whole name, so that the
 * derived files (<stem>.npy, part files and their temporaries) stay under the
 * file system's 255-byte limit, deterministic and distinct. The tables keep
 * the real name; mel/index.csv maps it to the file. */
#define NAME_FILE_MAX 200
char *name_file_bounded(const char *s, char *out, size_t len);

/* 64-bit FNV-1a of a name's bytes: stable run to run, for the shortened file
 * names and for tables keyed by name. */
unsigned long long name_hash(const char *s);

/* name_display into a static buffer per slot (slot 0..3): for messages. */
const char *shown(const char *s, int slot);

#endif
