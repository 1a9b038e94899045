/* A CSV file read whole (libcsv): a header row, then rows of the same width.
 * Strips a UTF-8 BOM, accepts CRLF and quoted fields; a ragged row, an empty
 * file or a missing header is an error naming the file and row. */
#ifndef GENRE_TABLE_H
#define GENRE_TABLE_H

#include <stddef.h>

typedef struct table {
  size_t n_cols, n_rows;
  char **header;  /* [n_cols] */
  char **cells;   /* [n_rows * n_cols], row-major */
  char *text;     /* storage behind header and cells */
  size_t text_len, text_cap;
} table_t;

/* 0, or -1 with the reason in err ("<path>: row 7 has 59 fields, the header 60"). */
int table_read(const char *path, table_t *t, char *err, size_t errlen);
void table_free(table_t *t);

static inline const char *table_cell(const table_t *t, size_t row, size_t col) {
  return t->cells[row * t->n_cols + col];
}
/* A CSV read row by row with memory for one row (feature tables of 10^7
 * rows): on_row(ctx, row, fields, n) for the header (row 1) and every row
 * after it (row 2, ...); a nonzero return stops the scan and is returned. The
 * same BOM, CRLF and quoting as table_read; a ragged row, an empty file or a
 * malformed quote is an error naming the file and row (return -1). */
typedef int (*table_row_fn)(void *ctx, size_t row, char **fields, size_t n);
int table_scan(const char *path, table_row_fn on_row, void *ctx, char *err, size_t errlen);

/* Index of the column named `name`, or -1. */
int table_column(const table_t *t, const char *name);

/* Parses a finite number; -1 when the cell is empty, not a number, NaN or Inf. */
int parse_finite(const char *s, double *v);

#endif
