/* Writes a synthetic feature table in extract's 3-s schema (filename, length,
 * the 95 feature columns, label) with ROWS rows: tracks of 10 segments, class
 * (track % CLASSES) shifting a few columns, values printed as extract prints
 * them. For make bench's measure of train ann on tables of 10^6-10^7 rows.
 *
 *   feature_table OUT.csv ROWS CLASSES SEED */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "outfile.h"
#include "schema.h"

static uint64_t next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

int main(int argc, char **argv) {
  if (argc != 5) return fprintf(stderr, "usage: feature_table OUT.csv ROWS CLASSES SEED\n"), 2;
  long rows = atol(argv[2]), classes = atol(argv[3]);
  uint64_t s = strtoull(argv[4], NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
  FILE *f = fopen(argv[1], "w");
  if (!f || rows < 1 || classes < 2) return fprintf(stderr, "feature_table: cannot write %s\n", argv[1]), 1;
  static char buf[1 << 20];
  setvbuf(f, buf, _IOFBF, sizeof buf);
  fputs("filename,length", f);
  for (int c = 0; c < FEATURE_COUNT; c++) fprintf(f, ",%s", feature_name(c));
  fputs(",label\n", f);
  for (long r = 0; r < rows; r++) {
    long track = r / 10, c = track % classes;
    fprintf(f, "t%08ld.%ld.wav", track, r % 10);
    csv_put_number(f, 66149, 0);
    for (int k = 0; k < FEATURE_COUNT; k++)
      csv_put_number(f, (double)(next(&s) >> 11) * 0x1p-53 + (k % classes == c ? 0.5 : 0.0), 0);
    fprintf(f, ",class%02ld\n", c);
  }
  return fclose(f) ? 1 : 0;
}
