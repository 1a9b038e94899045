/* Output files that appear whole or not at all: written to a hidden temporary
 * file in the same directory, every write checked, renamed into place on
 * commit. A crash or an abort leaves the previous file untouched. */
#ifndef GENRE_OUTFILE_H
#define GENRE_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct outfile {
  FILE *f;
  void *sink; /* where f writes: the file descriptor and its first write error */
  char path[4096], tmp[4096];
  int finished; /* closed, the temporary whole, not yet renamed */
} outfile_t;

/* 0, or -1 with the reason in err. */
int outfile_open(outfile_t *o, const char *path, char *err, size_t errlen);
/* Flushes (and with durable, fsyncs), closes and renames into place. 0, or -1
 * with the reason in err (then the temporary is removed). */
int outfile_commit(outfile_t *o, int durable, char *err, size_t errlen);
/* outfile_commit in two steps, so that several outputs switch together once
 * all are written: finish (flush, fsync when durable, close: the data is in
 * the temporary), then install (the rename). A failed finish removes the
 * temporary. 0, or -1 with the reason. */
int outfile_finish(outfile_t *o, int durable, char *err, size_t errlen);
int outfile_install(outfile_t *o, char *err, size_t errlen);
/* Closes and removes the temporary, if open or finished and not installed. */
void outfile_abort(outfile_t *o);

/* Overwrites n bytes at offset of what was written so far (e.g. a header
 * whose counts are known at the end). 0, or -1. */
int outfile_rewrite(outfile_t *o, long offset, const void *data, size_t n);
/* The errno of the first failed write to o (EIO when none is known). */
int outfile_error(const outfile_t *o);

/* Removes the temporaries a killed run left in dir (".<name>.XXXXXX"): of
 * any output when ours is NULL, else only of the n_ours names listed. For a
 * directory no other process is writing to. */
void outfile_remove_stale(const char *dir, const char *const *ours, int n_ours);

/* Removes every temporary still open (for signal handlers: async-signal-safe). */
void outfile_abort_all_signal_safe(void);

/* CSV fields via libcsv (quoted when needed); numbers as the shortest decimal
 * that reads back as the same double. `first`: no leading comma. */
void csv_put_text(FILE *f, const char *s, int first);
void csv_put_number(FILE *f, double v, int first);
void csv_put_integer(FILE *f, long long v, int first);
void csv_end_row(FILE *f);

/* mkdir -p: creates path and its missing parents. 0, or -1 with the reason. */
int make_dirs(const char *path, char *err, size_t errlen);

/* Puts a copy of src at dst atomically: a hard link (or, where the file system
 * has none, a copy) under a temporary name, renamed over dst. 0, or -1 with the
 * reason. */
int publish_file(const char *src, const char *dst, char *err, size_t errlen);
/* publish_file in two steps: the link (or copy) under a temporary name beside
 * dst, returned in tmp[len]; then the rename over dst. 0, or -1. */
int publish_stage(const char *src, const char *dst, char *tmp, size_t len, char *err, size_t errlen);
int publish_switch(const char *tmp, const char *dst, char *err, size_t errlen);

/* rm -r path (symbolic links are removed, not followed). 0, or -1. */
int remove_tree(const char *path);

/* The shortest of %.15g, %.16g, %.17g that round-trips. */
void format_double(double v, char *buf, size_t len);

#endif
