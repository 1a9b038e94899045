#include "names.h"

#include <stdio.h>
#include <string.h>

int utf8_char_len(const unsigned char *s, size_t n) {
  if (n == 0) return 0;
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (len == 0 || (size_t)len > n) return 0;
  for (int i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
  if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
      (c == 0xF4 && s[1] > 0x8F))
    return 0;
  return len;
}

int utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    int k = utf8_char_len(p + i, n - i);
    if (!k) return 0;
    i += (size_t)k;
  }
  return 1;
}

enum { ESC_UTF8, ESC_DISPLAY, ESC_FILE };

static char *escape(const char *s, char *out, size_t len, int mode) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), o = 0;
  for (size_t i = 0; i < n;) {
    int k = utf8_char_len(p + i, n - i);
    unsigned c = p[i];
    char esc[8] = "";
    if (!k) snprintf(esc, sizeof esc, mode == ESC_FILE ? "%%%02X" : "\\x%02X", c);
    else if (mode != ESC_UTF8 && (c < 0x20 || c == 0x7f)) {
      if (mode == ESC_FILE) snprintf(esc, sizeof esc, "%%%02X", c);
      else snprintf(esc, sizeof esc, c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : "\\x%02X", c);
    } else if (mode == ESC_FILE && (c == '%' || c == '\\'))
      snprintf(esc, sizeof esc, "%%%02X", c);
    size_t m = *esc ? strlen(esc) : (size_t)k;
    if (o + m + 1 > len) break;
    memcpy(out + o, *esc ? esc : (const char *)p + i, m);
    o += m;
    i += *esc ? 1 : (size_t)k;
  }
  if (len) out[o < len ? o : len - 1] = '\0';
  return out;
}

char *name_utf8(const char *s, char *out, size_t len) { return escape(s, out, len, ESC_UTF8); }
char *name_display(const char *s, char *out, size_t len) { return escape(s, out, len, ESC_DISPLAY); }
char *name_file(const char *s, char *out, size_t len) { return escape(s, out, len, ESC_FILE); }

char *name_file_bounded(const char *s, char *out, size_t len) {
  escape(s, out, len, ESC_FILE);
  size_t n = strlen(out);
  if (n <= NAME_FILE_MAX || len < NAME_FILE_MAX + 1) return out;
  /* a prefix that ends between characters (not inside a UTF-8 sequence or a
     %HH escape), then ~ and 16 hex digits of FNV-1a over the whole name */
  size_t keep = 0;
  for (size_t i = 0; i < n && i <= NAME_FILE_MAX - 17;) {
    keep = i;
    int k = out[i] == '%' ? 3 : utf8_char_len((const unsigned char *)out + i, n - i);
    i += k > 0 ? (size_t)k : 1;
  }
  snprintf(out + keep, len - keep, "~%016llx", name_hash(s));
  return out;
}

unsigned long long name_hash(const char *s) {
  unsigned long long h = 1469598103934665603ull;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 1099511628211ull;
  return h;
}

const char *shown(const char *s, int slot) {
  static __thread char buf[4][4 * 4096 + 1];
  return name_display(s, buf[slot & 3], sizeof buf[0]);
}
