/* A part file: one input's rows, written by extract as soon as the input is
 * done (OUTDIR/parts/<stem>.csv), reused by --resume and assembled into the
 * tables at the end. Format 2:
 *   #part,2,<file name>,<label>,<size>,<mtime ns>\n   the key: which source, unchanged
 *   <3-s rows>                                         as the 3-s table has them
 *   <whole-recording row>                              as the 30-s table has it
 *   #end,<samples>,<segments>\n
 * Rows are CSV records (a quoted file name may hold newlines). The 3-s rows
 * come first so they can be written while the recording is still being read. */
#ifndef GENRE_PART_H
#define GENRE_PART_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* Writes the key line of a source file (name and label as CSV fields). */
void part_key(FILE *f, const char *name, const char *label, const struct stat *st);

/* Checks a part's text against the key line its source would write: 0 with
 * the counts when whole (the key, segments + 1 rows, the end line), -1 when
 * foreign, stale or damaged. */
int part_check(const char *text, size_t n, const char *key, size_t key_len, unsigned long long *samples,
               unsigned long long *segments);
/* The same for a file, read in blocks. */
int part_check_file(const char *path, const char *key, size_t key_len, unsigned long long *samples,
                    unsigned long long *segments);
/* Appends a whole part file's rows to the tables: its whole-recording row to
 * t30, its 3-s rows to t3. 0, or -1 when it cannot be read or is not whole (a
 * failed write to a table is left in its stream's error state). */
int part_copy(const char *path, FILE *t30, FILE *t3);

#endif
