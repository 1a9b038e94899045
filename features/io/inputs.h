/* The list of audio inputs of a run: files and directories (walked
 * recursively, sorted), each with its label (parent directory name) and stem. */
#ifndef GENRE_INPUTS_H
#define GENRE_INPUTS_H

#include <stddef.h>

typedef struct input {
  char *path;  /* as given or found */
  char *name;  /* file name, e.g. blues.00000.wav */
  char *stem;  /* name without its extension, e.g. blues.00000 */
  char *file_stem; /* the stem as outputs on disk are named (names.h: %HH escapes) */
  char *label; /* parent directory name, e.g. blues */
  char *error; /* set when the input is unusable before decoding (missing, duplicate) */
} input_t;

typedef struct input_list {
  input_t *items;
  size_t n, cap;
  size_t skipped; /* files in walked directories that are not audio by extension */
  size_t loops;   /* links to a directory already walked, not followed */
  char *first_loop; /* the first such link */
} input_list_t;

/* Adds one command-line argument: a file (any extension), or a directory whose
 * audio files (by extension, hidden entries skipped) are added in path order.
 * A missing path becomes an input with an error. -1 only when out of memory. */
int inputs_add(input_list_t *list, const char *arg);

/* Marks inputs whose stem repeats an earlier one (their outputs would collide). */
void inputs_mark_duplicates(input_list_t *list);

void inputs_free(input_list_t *list);
/* The inputs of `genre CMD INPUT...`: every argument added (with
 * unique_stems, duplicates marked). 0, or -1 after printing the problem (out of
 * memory, or no audio file at all). */
int inputs_list(input_list_t *list, char *const *args, int n_args, int unique_stems, const char *cmd);

/* --labels CSV: each input's label from the table's `label` column, on the
 * row whose `file` (or `filename`, `path`) is its path as given or found, else
 * its file name. An input on no row gets an error (it is reported, not
 * guessed); *absent counts them. 0, or -1 with the reason (unreadable table,
 * missing columns). */
int inputs_relabel(input_list_t *list, const char *csv, size_t *absent, char *err, size_t errlen);

/* The label every usable input shares when there are several inputs and one
 * label among them (a flat folder, labelled with its own name), or NULL. */
const char *inputs_one_label(const input_list_t *list);

/* True when the name has an audio extension libsndfile decodes. */
int is_audio_name(const char *name);

#endif
