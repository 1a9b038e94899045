/* Input files opened without blocking on what is not one: a FIFO, a device
 * or a socket given where a file is read would block forever (or read
 * without end from /dev/zero), so it is refused before it is read. */
#ifndef GENRE_INFILE_H
#define GENRE_INFILE_H

#include <stdio.h>

/* fopen(path, "rb") of a regular file; NULL with the reason in *why (the
 * system's, or "not a regular file (a pipe, device or socket)"). */
FILE *fopen_regular(const char *path, const char **why);

#endif
