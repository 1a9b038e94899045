#include "image.h"

#include <cairo.h>
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

/* Text through cairo (antialiased, a real sans-serif font from fontconfig):
 * drawn as coverage on a small ARGB surface, then blended in colour rgb. The
 * size is 10 pixels per scale step (the old 5x7 glyphs' cell, 6 x 7). */
int image_text(image_t *im, int x, int y, const char *s, uint32_t rgb, int scale, int align) {
  double size = 10.0 * scale;
  cairo_surface_t *probe = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create(probe);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_font_extents_t fe;
  cairo_text_extents(cr, s, &te), cairo_font_extents(cr, &fe);
  cairo_destroy(cr), cairo_surface_destroy(probe);
  int width = (int)(te.x_advance + 0.5), w = width + 4, h = (int)(fe.ascent + fe.descent + 2.5);
  x -= align == 1 ? width / 2 : align == 2 ? width : 0;
  cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) return cairo_surface_destroy(surface), width;
  cr = cairo_create(surface);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_move_to(cr, 1, 1 + fe.ascent);
  cairo_show_text(cr, s);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  const unsigned char *a = cairo_image_surface_get_data(surface);
  int stride = cairo_image_surface_get_stride(surface), top = y - (int)(0.15 * size); /* the glyphs' top near y */
  for (int r = 0; r < h; r++)
    for (int c = 0; c < w; c++)
      if (a[r * stride + c]) image_blend(im, x - 1 + c, top + r, rgb, a[r * stride + c] / 255.0);
  cairo_surface_destroy(surface);
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
