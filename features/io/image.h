/* A small RGB canvas for the pictures genre writes as PNG (libpng): filled
 * rectangles, pixels, and antialiased text in a sans-serif font (cairo). */
#ifndef GENRE_IMAGE_H
#define GENRE_IMAGE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

typedef struct image {
  int w, h;
  uint8_t *rgb; /* [h][w][3] */
} image_t;

/* A white canvas; 0, or -1 when out of memory. */
int image_new(image_t *im, int w, int h);
void image_free(image_t *im);
void image_rect(image_t *im, int x, int y, int w, int h, uint32_t rgb);
/* Blends colour rgb over pixel (x, y) with opacity alpha in [0, 1]. */
void image_blend(image_t *im, int x, int y, uint32_t rgb, double alpha);
/* Text with its top-left corner near (x, y), 10 pixels a scale step; returns
 * the width drawn. align: 0 left, 1 centre, 2 right of x. */
int image_text(image_t *im, int x, int y, const char *s, uint32_t rgb, int scale, int align);
/* The canvas as an 8-bit RGB PNG to f (0, or -1), to a file atomically (0,
 * or -1 with the reason), or as a data URI for HTML (malloc'd; NULL when out
 * of memory). */
int image_png(const image_t *im, FILE *f);
char *image_data_uri(const image_t *im);
int image_write_png(const image_t *im, const char *path, char *err, size_t errlen);

#endif
