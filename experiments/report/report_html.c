/* report.html: the Markdown report and interactive confusion matrices in one
 * self-contained file (the page is experiments/report/report_html.in, built into
 * the program; the data goes in as JSON). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "json.h"
#include "metrics.h"
#include "names.h"
#include "outfile.h"
#include "report.h"

extern const char report_html_template[]; /* generated from report_html.in by the Makefile */

static void js_string(FILE *f, const char *s) { json_put_text(f, s, 1); }

/* A whole file as a JSON string (NULL: null). */
static void js_file(FILE *f, const char *path) {
  FILE *in = fopen(path, "rb");
  char *text = NULL;
  size_t n = 0;
  FILE *m = in ? open_memstream(&text, &n) : NULL;
  int c;
  while (m && (c = fgetc(in)) != EOF) fputc(c, m);
  if (m) fclose(m);
  if (in) fclose(in);
  if (text) js_string(f, text);
  else fputs("null", f);
  free(text);
}

/* A relative path as a URL: every byte but the unreserved ones (RFC 3986)
 * and '/' percent-encoded, so that '#', '?', '%', '\\' and spaces stay part of
 * the file name. A new string, or NULL. */
static char *url_path(const char *path) {
  static const char hex[] = "0123456789ABCDEF";
  char *out = malloc(3 * strlen(path) + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *)path; out && *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
      *o++ = (char)*p;
    else
      *o++ = '%', *o++ = hex[*p >> 4], *o++ = hex[*p & 15];
  }
  if (out) *o = '\0';
  return out;
}

/* The audio file of a track relative to the report's directory (the
 * temporary one is its sibling: the same link), when the file is there. */
static char *relative_link(const char *target, const char *report_dir) {
  char base[PATH_MAX];
  if (!target || target[0] != '/' || access(target, R_OK) != 0 || !realpath(report_dir, base)) return NULL;
  size_t common = 0; /* length of the shared leading directories, up to a '/' */
  for (size_t i = 0; target[i] && target[i] == base[i]; i++)
    if (target[i] == '/') common = i;
  if (base[strlen(base)] == '\0' && strncmp(target, base, strlen(base)) == 0 && target[strlen(base)] == '/')
    common = strlen(base);
  size_t ups = 0;
  for (const char *p = base + common; *p; p++) ups += *p == '/';
  char *out = malloc(3 * ups + strlen(target) + 1);
  if (!out) return NULL;
  out[0] = '\0';
  for (size_t k = 0; k < ups; k++) strcat(out, "../");
  strcat(out, target + common + 1);
  return out;
}


/* "tracks": name, true label, the audio file's link */
static void js_tracks(const report_t *r, FILE *f, const char *dir) {
  int *truth = calloc(r->tracks ? r->tracks : 1, sizeof(int));
  for (size_t t = 0; truth && t < r->tracks; t++) truth[t] = -1;
  for (size_t i = 0; truth && i < r->rows; i++) truth[r->track[i]] = r->y[i];
  fputs("\"tracks\": [", f);
  for (size_t t = 0; t < r->tracks; t++) {
    fputs(t ? ",\n{\"name\": " : "{\"name\": ", f), js_string(f, r->track_names[t]);
    fprintf(f, ", \"y\": %d, \"src\": ", truth ? truth[t] : -1);
    char *link = r->track_paths ? relative_link(r->track_paths[t], dir) : NULL, *url = link ? url_path(link) : NULL;
    if (url) js_string(f, url);
    else fputs("null", f);
    free(link), free(url);
    fputc('}', f);
  }
  fputs("]", f);
  free(truth);
}

/* The k of a segment named <stem>.<k>.<ext> (extract's names), else `fallback`. */
static int segment_number(const char *name, int fallback) {
  const char *ext = name ? strrchr(name, '.') : NULL, *dot = ext;
  while (dot && dot > name && dot[-1] >= '0' && dot[-1] <= '9') dot--;
  if (!ext || dot == ext || dot == name || dot[-1] != '.' || ext - dot > 6) return fallback;
  return atoi(dot);
}

/* "rows" [track, segment, true]; "pred": each model's segment predictions (-1: not tested) */
static void js_rows(const report_t *r, FILE *f) {
  int *seg = calloc(r->tracks ? r->tracks : 1, sizeof(int));
  fputs(",\n\"rows\": [", f);
  for (size_t i = 0; i < r->rows; i++) {
    int k = seg ? seg[r->track[i]]++ : 0;
    fprintf(f, "%s[%d,%d,%d]", i ? "," : "", r->track[i], segment_number(r->names ? r->names[i] : NULL, k), r->y[i]);
  }
  free(seg);
  fputs("],\n\"pred\": {", f);
  for (int m = 0; m < r->n_models; m++) {
    const cv_result_t *res = r->model[m].result;
    fprintf(f, "%s", m ? ", " : ""), js_string(f, r->model[m].key), fputs(": [", f);
    for (size_t i = 0; i < r->rows; i++)
      fprintf(f, "%s%d", i ? "," : "", res->fold_of_row[i] < res->folds ? argmax(res->probs + i * r->K, r->K) : -1);
    fputc(']', f);
  }
  fputs("}", f);
}

/* Model m's track verdicts (-1: not tested) */
static void js_verdicts(const report_t *r, FILE *f, int m) {
  compare_input_t in = {.y = r->y, .track = r->track, .rows = r->rows, .tracks = r->tracks, .K = r->K};
  int *v = track_verdicts(&in, r->model[m].result);
  fputc('[', f);
  for (size_t t = 0; t < r->tracks; t++) fprintf(f, "%s%d", t ? "," : "", v ? v[t] : -1);
  fputc(']', f);
  free(v);
}

/* "md": report.md; "svg": the pictures it names */
static void js_files(const report_t *r, FILE *f, const char *dir) {
  char path[4400];
  fputs(",\n\"md\": ", f);
  snprintf(path, sizeof path, "%s/report.md", dir);
  js_file(f, path);
  fputs(",\n\"svg\": {", f);
  fputs("\"ranking.svg\": ", f);
  snprintf(path, sizeof path, "%s/ranking.svg", dir);
  js_file(f, path);
  for (int m = 0; m < r->n_models; m++)
    for (int kind = 0; kind < 3; kind++) {
      static const char *const what[3] = {"confusion", "curves", "reliability"};
      char name[128];
      if (kind == 1 && !r->model[m].curves) continue;
      snprintf(name, sizeof name, "%s_%s.svg", what[kind], r->model[m].key);
      snprintf(path, sizeof path, "%s/%s", dir, name);
      fputs(", ", f), js_string(f, name), fputs(": ", f);
      js_file(f, path);
    }
  snprintf(path, sizeof path, "%s/importance_ann.svg", dir);
  if (access(path, R_OK) == 0) fputs(", \"importance_ann.svg\": ", f), js_file(f, path);
  fputs("}", f);
}

static void js_data(const report_t *r, FILE *f, const char *dir) {
  fputs("{\"labels\": [", f);
  for (int k = 0; k < r->K; k++) fputs(k ? ", " : "", f), js_string(f, r->labels[k]);
  fputs("],\n\"models\": [", f);
  for (int m = 0; m < r->n_models; m++) {
    fprintf(f, "%s{\"key\": ", m ? ", " : ""), js_string(f, r->model[m].key);
    fputs(", \"title\": ", f), js_string(f, r->model[m].title), fputc('}', f);
  }
  fputs("],\n", f);
  js_tracks(r, f, dir);
  js_rows(r, f);
  fputs(",\n\"verdict\": {", f);
  for (int m = 0; m < r->n_models; m++)
    fprintf(f, "%s", m ? ", " : ""), js_string(f, r->model[m].key), fputs(": ", f), js_verdicts(r, f, m);
  fputs("},\n\"p\": {", f);
  for (int m = 0; m < r->n_models; m++) {
    fprintf(f, "%s", m ? ", " : ""), js_string(f, r->model[m].key), fputs(": [", f);
    for (size_t i = 0; i < r->rows * (size_t)r->K; i++) fprintf(f, "%s%.4g", i ? "," : "", (double)r->model[m].result->probs[i]);
    fputc(']', f);
  }
  fputs("}", f);
  report_js_why(r, f);
  js_files(r, f, dir);
  fputs("}\n", f);
}

int report_write_html(const report_t *r, const char *dir, char *err, size_t errlen) {
  char path[4400];
  snprintf(path, sizeof path, "%s/report.html", dir);
  outfile_t o;
  if (outfile_open(&o, path, err, errlen)) return -1;
  const char *mark = strstr(report_html_template, "/*DATA*/");
  if (!mark) {
    outfile_abort(&o);
    return snprintf(err, errlen, "report.html: the page template has no data mark"), -1;
  }
  fwrite(report_html_template, 1, (size_t)(mark - report_html_template), o.f);
  js_data(r, o.f, dir);
  fputs(mark + strlen("/*DATA*/"), o.f);
  return outfile_commit(&o, 1, err, errlen);
}
