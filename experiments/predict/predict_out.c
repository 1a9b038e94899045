/* The rows of genre predict: CSV (columns as documented), JSON lines with the
 * same keys, or a text view with the top K labels for a person. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "names.h"
#include "outfile.h"
#include "predict.h"

static void put_number(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.9g", v);
  else fputs("null", f);
}

void out_header(predict_out_t *o, const field_t *lead, int n_lead, const field_t *trail, int n_trail) {
  if (o->format != FORMAT_CSV) return;
  for (int i = 0; i < n_lead; i++) csv_put_text(o->f, lead[i].name, i == 0);
  csv_put_text(o->f, "label", n_lead == 0);
  csv_put_text(o->f, "probability", 0);
  char name[300];
  for (int k = 0; k < o->K; k++) {
    snprintf(name, sizeof name, "p_%s", o->labels[k]);
    csv_put_text(o->f, name, 0);
  }
  for (int i = 0; i < n_trail; i++) csv_put_text(o->f, trail[i].name, 0);
  csv_end_row(o->f);
}

static void csv_fields(FILE *f, const field_t *x, int n, int first) {
  char num[64];
  for (int i = 0; i < n; i++) {
    if (x[i].text) {
      csv_put_text(f, x[i].text, first && i == 0);
    } else {
      snprintf(num, sizeof num, "%.9g", x[i].number);
      csv_put_text(f, num, first && i == 0);
    }
  }
}

static void csv_row(predict_out_t *o, const field_t *lead, int n_lead, const double *p, const char *none,
                    const field_t *trail, int n_trail) {
  FILE *f = o->f;
  char num[64];
  csv_fields(f, lead, n_lead, 1);
  int best = p ? classifier_argmax(p, o->K) : -1;
  csv_put_text(f, p ? o->labels[best] : none, n_lead == 0);
  snprintf(num, sizeof num, "%.9g", p ? p[best] : 0);
  csv_put_text(f, p ? num : "", 0);
  for (int k = 0; k < o->K; k++) {
    snprintf(num, sizeof num, "%.9g", p ? p[k] : 0);
    csv_put_text(f, p ? num : "", 0);
  }
  csv_fields(f, trail, n_trail, 0);
  csv_end_row(f);
}

static void json_fields(FILE *f, const field_t *x, int n, int *first) {
  for (int i = 0; i < n; i++, *first = 0) {
    fputs(*first ? "{" : ", ", f);
    json_put_string(f, x[i].name);
    fputs(": ", f);
    if (x[i].text) json_put_string(f, x[i].text);
    else put_number(f, x[i].number);
  }
}

static void json_row(predict_out_t *o, const field_t *lead, int n_lead, const double *p, const char *none,
                     const field_t *trail, int n_trail) {
  FILE *f = o->f;
  int first = 1, best = p ? classifier_argmax(p, o->K) : -1;
  char key[300];
  json_fields(f, lead, n_lead, &first);
  fputs(first ? "{\"label\": " : ", \"label\": ", f);
  json_put_string(f, p ? o->labels[best] : none);
  fputs(", \"probability\": ", f);
  p ? put_number(f, p[best]) : (void)fputs("null", f);
  for (int k = 0; k < o->K; k++) {
    snprintf(key, sizeof key, "p_%s", o->labels[k]);
    fputs(", ", f);
    json_put_string(f, key);
    fputs(": ", f);
    p ? put_number(f, p[k]) : (void)fputs("null", f);
  }
  first = 0;
  json_fields(f, trail, n_trail, &first);
  fputs("}\n", f);
}

/* "file  label 0.912  (metal 0.041, rock 0.020)": the best and the next top-1 */
static void text_row(predict_out_t *o, const field_t *lead, int n_lead, const double *p, const char *none,
                     const field_t *trail, int n_trail) {
  FILE *f = o->f;
  for (int i = 0; i < n_lead; i++) {
    if (lead[i].text) fprintf(f, "%s  ", shown(lead[i].text, 0));
    else fprintf(f, "%s %-7.6g ", lead[i].name, lead[i].number);
  }
  if (!p) {
    fprintf(f, "%s", none);
  } else {
    int order[256] = {0}, K = o->K < 256 ? o->K : 256;
    for (int k = 0; k < K; k++) order[k] = k;
    for (int i = 0; i < K && i < o->top; i++) /* partial selection sort: the top K */
      for (int j = i + 1; j < K; j++)
        if (p[order[j]] > p[order[i]]) {
          int t = order[i];
          order[i] = order[j], order[j] = t;
        }
    fprintf(f, "%-10s %.3f", o->labels[order[0]], p[order[0]]);
    for (int i = 1; i < K && i < o->top; i++) fprintf(f, "%s%s %.3f", i == 1 ? "   (" : ", ", o->labels[order[i]], p[order[i]]);
    if (o->top > 1 && K > 1) fputc(')', f);
  }
  for (int i = 0; i < n_trail; i++) {
    if (trail[i].text) fprintf(f, "  %s %s", trail[i].name, trail[i].text);
    else fprintf(f, " %.3f", trail[i].number);
  }
  fputc('\n', f);
}

void out_row(predict_out_t *o, const field_t *lead, int n_lead, const double *p, const char *none_label,
             const field_t *trail, int n_trail) {
  if (o->format == FORMAT_CSV) csv_row(o, lead, n_lead, p, none_label, trail, n_trail);
  else if (o->format == FORMAT_JSONL) json_row(o, lead, n_lead, p, none_label, trail, n_trail);
  else text_row(o, lead, n_lead, p, none_label, trail, n_trail);
  o->rows++;
}
