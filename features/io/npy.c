#include "npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char magic[] = "\x93NUMPY";

int npy_write_header(FILE *f, const size_t *shape, int ndim) { return npy_write_header_as(f, shape, ndim, NPY_F32); }

int npy_write_header_as(FILE *f, const size_t *shape, int ndim, int elem) {
  char dict[256];
  int n = snprintf(dict, sizeof dict, "{'descr': '<f%d', 'fortran_order': False, 'shape': (", elem);
  for (int i = 0; i < ndim; i++)
    n += snprintf(dict + n, sizeof dict - n, "%zu,%s", shape[i], i + 1 < ndim ? " " : "");
  n += snprintf(dict + n, sizeof dict - n, "), }");
  /* pad with spaces and a newline so that the data starts at a multiple of 64 */
  size_t total = 10 + (size_t)n + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t header_len = padded - 10;
  unsigned char pre[10];
  memcpy(pre, magic, 6);
  pre[6] = 1, pre[7] = 0;
  pre[8] = (unsigned char)(header_len & 0xff), pre[9] = (unsigned char)(header_len >> 8);
  if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)n, f) != (size_t)n) return -1;
  for (size_t i = (size_t)n; i + 1 < header_len; i++)
    if (fputc(' ', f) == EOF) return -1;
  return fputc('\n', f) == EOF ? -1 : 0;
}

/* value of key `key` in the header dict text, or NULL */
static const char *find_key(const char *dict, const char *key) {
  const char *p = strstr(dict, key);
  if (!p) return NULL;
  p += strlen(key);
  while (*p == ' ' || *p == ':') p++;
  return p;
}

int npy_read_header(FILE *f, long file_size, size_t *shape, int *ndim, char *err, size_t errlen) {
  int elem;
  if (npy_read_header_any(f, file_size, shape, ndim, &elem, err, errlen)) return -1;
  if (elem == NPY_F32) return 0;
  snprintf(err, errlen, "dtype is not little-endian float32 ('<f4')");
  return -1;
}

/* The magic and the header's length (format 1.0, 2.0 or 3.0): 0, or -1. */
static int read_preamble(FILE *f, long file_size, size_t *header_len, size_t *offset, char *err, size_t errlen) {
  unsigned char pre[12];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, magic, 6) != 0)
    return snprintf(err, errlen, "not a .npy file (bad magic)"), -1;
  if (pre[6] == 1) {
    *header_len = pre[8] | (size_t)pre[9] << 8;
    *offset = 10;
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 10, 1, 2, f) != 2) return snprintf(err, errlen, "truncated .npy header"), -1;
    *header_len = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    *offset = 12;
  } else {
    return snprintf(err, errlen, "unsupported .npy version %d", pre[6]), -1;
  }
  if (*header_len > 65536 || (long)(*offset + *header_len) > file_size)
    return snprintf(err, errlen, "truncated or oversized .npy header"), -1;
  return 0;
}

/* The dims of "(a, b, c)" (sh after the parenthesis) into shape, their product
 * into *count (bounded so that 4 bytes each fit a size_t). 0, or -1. */
static int parse_shape(const char *sh, size_t *shape, int *ndim, size_t *count, char *err, size_t errlen) {
  int nd = 0;
  *count = 1;
  for (;;) {
    while (*sh == ' ' || *sh == ',') sh++;
    if (*sh == ')') break;
    char *end;
    unsigned long long v = strtoull(sh, &end, 10);
    if (end == sh || nd == NPY_MAX_DIMS || v > (1ull << 40)) return snprintf(err, errlen, "bad shape in .npy header"), -1;
    shape[nd++] = (size_t)v;
    if (v && *count > (SIZE_MAX / 4) / v) return snprintf(err, errlen, "shape too large"), -1;
    *count *= (size_t)v;
    sh = end;
  }
  if (nd == 0) return snprintf(err, errlen, "scalar .npy, expected an array"), -1;
  *ndim = nd;
  return 0;
}

/* The header's dict: dtype, order and shape. 0, or -1. */
static int parse_dict(const char *dict, size_t *shape, int *ndim, int *elem, size_t *count, char *err, size_t errlen) {
  const char *descr = find_key(dict, "'descr'");
  if (!descr || (strncmp(descr, "'<f4'", 5) != 0 && strncmp(descr, "'<f2'", 5) != 0))
    return snprintf(err, errlen, "dtype is not little-endian float32 ('<f4') or float16 ('<f2')"), -1;
  *elem = descr[3] == '4' ? NPY_F32 : NPY_F16;
  const char *order = find_key(dict, "'fortran_order'");
  if (!order || strncmp(order, "False", 5) != 0) return snprintf(err, errlen, "not in C order"), -1;
  const char *sh = find_key(dict, "'shape'");
  if (!sh || *sh != '(') return snprintf(err, errlen, "no shape in .npy header"), -1;
  return parse_shape(sh + 1, shape, ndim, count, err, errlen);
}

int npy_read_header_any(FILE *f, long file_size, size_t *shape, int *ndim, int *elem, char *err, size_t errlen) {
  size_t header_len, offset, count;
  if (read_preamble(f, file_size, &header_len, &offset, err, errlen)) return -1;
  char *dict = malloc(header_len + 1);
  if (!dict) return snprintf(err, errlen, "out of memory"), -1;
  int nd, rc = -1;
  if (fread(dict, 1, header_len, f) != header_len) {
    snprintf(err, errlen, "truncated .npy header");
  } else {
    dict[header_len] = '\0';
    rc = parse_dict(dict, shape, &nd, elem, &count, err, errlen);
  }
  free(dict);
  if (rc) return -1;
  if ((unsigned long long)file_size < offset + header_len + (unsigned long long)*elem * count)
    return snprintf(err, errlen, "truncated .npy data: shape needs %zu bytes, file has %ld", (size_t)*elem * count,
                    file_size - (long)(offset + header_len)), -1;
  *ndim = nd;
  return 0;
}

uint16_t npy_half(float v) {
  uint32_t x;
  memcpy(&x, &v, sizeof x);
  uint16_t sign = (uint16_t)(x >> 16 & 0x8000);
  uint32_t mag = x & 0x7fffffff;
  if (mag > 0x7f800000) return sign | 0x7e00;            /* NaN */
  if (mag >= 0x477ff000) return sign | 0x7c00;           /* rounds past 65504: infinity */
  if (mag < 0x38800000) {                                /* below 2^-14: subnormal or zero */
    if (mag < 0x33000000) return sign;                   /* under half the smallest subnormal */
    uint32_t m = (mag & 0x7fffff) | 0x800000;
    int shift = 126 - (int)(mag >> 23);                  /* 14 + 113 - exponent - 1 ... */
    uint32_t q = m >> (shift), rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (q & 1))) q++;
    return sign | (uint16_t)q;
  }
  uint32_t q = (mag - 0x38000000) >> 13, rest = mag & 0x1fff; /* rebias 127 -> 15 */
  if (rest > 0x1000 || (rest == 0x1000 && (q & 1))) q++;
  return sign | (uint16_t)q;
}

float npy_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h >> 10 & 0x1f, man = h & 0x3ff, x;
  if (exp == 0x1f) x = sign | 0x7f800000 | man << 13;    /* infinity, NaN */
  else if (exp) x = sign | (exp + 112) << 23 | man << 13; /* normal */
  else if (!man) x = sign;                               /* zero */
  else {                                                 /* subnormal: normalised */
    int e = -1;
    do man <<= 1, e++; while (!(man & 0x400));
    x = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
  }
  float v;
  memcpy(&v, &x, sizeof v);
  return v;
}
