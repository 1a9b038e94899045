#include "image.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"

int image_new(image_t *im, int w, int h) {
  im->w = w, im->h = h;
  im->rgb = malloc((size_t)w * h * 3);
  if (!im->rgb) return -1;
  memset(im->rgb, 255, (size_t)w * h * 3);
  return 0;
}

void image_free(image_t *im) {
  free(im->rgb);
  im->rgb = NULL;
}

void image_blend(image_t *im, int x, int y, uint32_t rgb, double alpha) {
  if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
  uint8_t *p = im->rgb + ((size_t)y * im->w + x) * 3;
  for (int c = 0; c < 3; c++) {
    double v = (rgb >> (16 - 8 * c)) & 255;
    p[c] = (uint8_t)(p[c] + alpha * (v - p[c]) + 0.5);
  }
}

void image_rect(image_t *im, int x, int y, int w, int h, uint32_t rgb) {
  for (int j = y; j < y + h; j++)
    for (int i = x; i < x + w; i++) image_blend(im, i, j, rgb, 1);
}

/* 5x7 glyphs, one 5-bit row each (bit 4 the leftmost column) */
static const struct {
  char c;
  uint8_t row[7];
} font[] = {
    {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},    {'2', {14, 17, 1, 2, 4, 8, 31}},
    {'3', {31, 2, 4, 2, 1, 17, 14}},     {'4', {2, 6, 10, 18, 31, 2, 2}},   {'5', {31, 16, 30, 1, 1, 17, 14}},
    {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},     {'8', {14, 17, 17, 14, 17, 17, 14}},
    {'9', {14, 17, 17, 15, 1, 2, 12}},   {'a', {0, 0, 14, 1, 15, 17, 15}},  {'b', {16, 16, 22, 25, 17, 17, 30}},
    {'c', {0, 0, 14, 16, 16, 17, 14}},   {'d', {1, 1, 13, 19, 17, 17, 15}}, {'e', {0, 0, 14, 17, 31, 16, 14}},
    {'f', {6, 9, 8, 28, 8, 8, 8}},       {'g', {0, 15, 17, 17, 15, 1, 14}}, {'h', {16, 16, 22, 25, 17, 17, 17}},
    {'i', {4, 0, 12, 4, 4, 4, 14}},      {'j', {2, 0, 6, 2, 2, 18, 12}},    {'k', {16, 16, 18, 20, 24, 20, 18}},
    {'l', {12, 4, 4, 4, 4, 4, 14}},      {'m', {0, 0, 26, 21, 21, 17, 17}}, {'n', {0, 0, 22, 25, 17, 17, 17}},
    {'o', {0, 0, 14, 17, 17, 17, 14}},   {'p', {0, 0, 30, 17, 30, 16, 16}}, {'q', {0, 0, 13, 19, 15, 1, 1}},
    {'r', {0, 0, 22, 25, 16, 16, 16}},   {'s', {0, 0, 14, 16, 14, 1, 30}},  {'t', {8, 8, 28, 8, 8, 9, 6}},
    {'u', {0, 0, 17, 17, 17, 19, 13}},   {'v', {0, 0, 17, 17, 17, 10, 4}},  {'w', {0, 0, 17, 17, 21, 21, 10}},
    {'x', {0, 0, 17, 10, 4, 10, 17}},    {'y', {0, 0, 17, 17, 15, 1, 14}},  {'z', {0, 0, 31, 2, 4, 8, 31}},
    {'.', {0, 0, 0, 0, 0, 12, 12}},      {'-', {0, 0, 0, 31, 0, 0, 0}},     {':', {0, 12, 12, 0, 12, 12, 0}},
    {'(', {2, 4, 8, 8, 8, 4, 2}},        {')', {8, 4, 2, 2, 2, 4, 8}},      {'/', {1, 1, 2, 4, 8, 16, 16}},
    {'+', {0, 4, 4, 31, 4, 4, 0}},       {'=', {0, 0, 31, 0, 31, 0, 0}},    {',', {0, 0, 0, 0, 12, 4, 8}},
    {'_', {0, 0, 0, 0, 0, 0, 31}},       {'%', {24, 25, 2, 4, 8, 19, 3}},
};

static const uint8_t *glyph(char c) {
  if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  for (size_t i = 0; i < sizeof font / sizeof *font; i++)
    if (font[i].c == c) return font[i].row;
  return NULL; /* a space, or a sign the font lacks */
}

int image_text(image_t *im, int x, int y, const char *s, uint32_t rgb, int scale, int align) {
  int width = (int)strlen(s) * 6 * scale;
  x -= align == 1 ? width / 2 : align == 2 ? width : 0;
  for (; *s; s++, x += 6 * scale) {
    const uint8_t *g = glyph(*s);
    for (int r = 0; g && r < 7; r++)
      for (int c = 0; c < 5; c++)
        if (g[r] >> (4 - c) & 1) image_rect(im, x + c * scale, y + r * scale, scale, scale, rgb);
  }
  return width;
}

int image_png(const image_t *im, FILE *f) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return -1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < im->h; y++) png_write_row(png, im->rgb + (size_t)y * im->w * 3);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return 0;
}

int image_write_png(const image_t *im, const char *path, char *err, size_t errlen) {
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  if (image_png(im, o.f)) {
    outfile_abort(&o);
    return snprintf(err, errlen, "%s: libpng could not write the picture", path), -1;
  }
  return outfile_commit(&o, 1, err, errlen);
}

/* "data:image/png;base64,..." (RFC 4648's alphabet, padded) */
char *image_data_uri(const image_t *im) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *png = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&png, &n);
  if (!f) return NULL;
  int bad = image_png(im, f);
  if (fclose(f) || bad) return free(png), NULL;
  static const char head[] = "data:image/png;base64,";
  char *out = malloc(sizeof head + (n + 2) / 3 * 4), *o = out;
  if (out) {
    memcpy(o, head, sizeof head - 1), o += sizeof head - 1;
    const unsigned char *p = (const unsigned char *)png;
    for (size_t i = 0; i < n; i += 3) {
      unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
      *o++ = b64[v >> 18 & 63], *o++ = b64[v >> 12 & 63];
      *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=', *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = '\0';
  }
  free(png);
  return out;
}
