#include "svg.h"

#include "names.h"

#include <math.h>
#include <string.h>

void svg_text(FILE *f, const char *text) {
  const char *s = shown(text, 3); /* XML text: UTF-8, no control characters */
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* white to dark blue (matplotlib's "Blues" ends), v in [0, 1] */
static void blue(double v, int *r, int *g, int *b) {
  static const int lo[3] = {247, 251, 255}, hi[3] = {8, 48, 107};
  v = v < 0 ? 0 : v > 1 ? 1 : v;
  *r = (int)(lo[0] + (hi[0] - lo[0]) * v + 0.5);
  *g = (int)(lo[1] + (hi[1] - lo[1]) * v + 0.5);
  *b = (int)(lo[2] + (hi[2] - lo[2]) * v + 0.5);
}

void svg_confusion(FILE *f, const long *confusion, int K, char *const *labels, const char *title) {
  int longest = 0;
  for (int k = 0; k < K; k++) longest = (int)strlen(labels[k]) > longest ? (int)strlen(labels[k]) : longest;
  int cell = K <= 12 ? 48 : K <= 24 ? 30 : 18, font = cell >= 48 ? 13 : cell >= 30 ? 10 : 7;
  int left = 40 + longest * 8, top = 70, bottom = 30 + longest * 6, right = 30;
  int width = left + K * cell + right, height = top + K * cell + bottom;
  int title_w = (int)(strlen(title) * 9.2) + 40; /* 16 px bold: about 9 px a character */
  if (title_w > width) {
    left += (title_w - width) / 2;
    width = title_w;
  }
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"Helvetica, Arial, sans-serif\">\n", width, height, width, height);
  fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
  fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">", width / 2);
  svg_text(f, title);
  fprintf(f, "</text>\n");
  fprintf(f, "<text x=\"%d\" y=\"50\" font-size=\"12\" text-anchor=\"middle\" fill=\"#444\">"
             "rows: true label, columns: predicted label; colour: share of the row</text>\n", width / 2);
  fprintf(f, "<g id=\"cells\">\n");
  for (int i = 0; i < K; i++) {
    long row = 0;
    for (int j = 0; j < K; j++) row += confusion[(size_t)i * K + j];
    for (int j = 0; j < K; j++) {
      long c = confusion[(size_t)i * K + j];
      double share = row ? (double)c / row : 0.0;
      int r, g, b, x = left + j * cell, y = top + i * cell;
      blue(share, &r, &g, &b);
      fprintf(f, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" "
                 "stroke=\"#ddd\"><title>", x, y, cell, cell, r, g, b);
      svg_text(f, labels[i]);
      fprintf(f, " as ");
      svg_text(f, labels[j]);
      fprintf(f, ": %ld (%.1f%% of the row)</title></rect>\n", c, 100 * share);
      fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"middle\" dominant-baseline=\"central\" "
                 "fill=\"%s\">%ld</text>\n", x + cell / 2, y + cell / 2, font, share > 0.5 ? "white" : "#222", c);
    }
  }
  fprintf(f, "</g>\n");
  for (int k = 0; k < K; k++) { /* row labels (true), column labels (predicted, slanted) */
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"end\" dominant-baseline=\"central\">",
            left - 6, top + k * cell + cell / 2, font + 1);
    svg_text(f, labels[k]);
    fprintf(f, "</text>\n");
    int x = left + k * cell + cell / 2, y = top + K * cell + 8;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"end\" transform=\"rotate(-45 %d %d)\">", x, y,
            font + 1, x, y);
    svg_text(f, labels[k]);
    fprintf(f, "</text>\n");
  }
  fprintf(f, "<text x=\"14\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">"
             "true label</text>\n", top + K * cell / 2, top + K * cell / 2);
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\">predicted label</text>\n",
          left + K * cell / 2, height - 8);
  fprintf(f, "</svg>\n");
}

/* a "nice" step for about n ticks over span */
static double nice_step(double span, int n) {
  double raw = span / n, mag = pow(10, floor(log10(raw))), r = raw / mag;
  return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

static void panel(FILE *f, int x0, int y0, int w, int h, const char *what, int epochs, const curve_t *c, int n,
                  int fixed01) {
  double lo = INFINITY, hi = -INFINITY;
  for (int s = 0; s < n; s++)
    for (int e = 0; e < epochs; e++)
      if (!isnan(c[s].values[e])) lo = fmin(lo, c[s].values[e]), hi = fmax(hi, c[s].values[e]);
  if (fixed01) lo = 0, hi = 1;
  if (!isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  double step = nice_step(hi - lo, 5);
  lo = floor(lo / step) * step, hi = ceil(hi / step) * step;
  fprintf(f, "<g class=\"panel\">\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
          x0, y0, w, h);
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n",
          x0 + w / 2, y0 - 8, what);
  for (double v = lo; v <= hi + step / 2; v += step) {
    double y = y0 + h - (v - lo) / (hi - lo) * h;
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", x0, y, x0 + w, y);
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" dominant-baseline=\"central\">%g</text>\n",
            x0 - 4, y, fabs(v) < step / 1e6 ? 0.0 : v);
  }
  double estep = nice_step(epochs > 1 ? epochs - 1 : 1, 6);
  if (estep < 1) estep = 1;
  for (double e = 1; e <= epochs; e = e == 1 && estep > 1 ? estep : e + estep) { /* 1, then round numbers */
    double x = x0 + (epochs > 1 ? (e - 1) / (epochs - 1) : 0.5) * w;
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%g</text>\n", x, y0 + h + 14, e);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">epoch</text>\n", x0 + w / 2, y0 + h + 30);
  for (int s = 0; s < n; s++) {
    fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", c[s].colour,
            c[s].dashed ? " stroke-dasharray=\"6 4\"" : "");
    for (int e = 0; e < epochs; e++) {
      if (isnan(c[s].values[e])) continue;
      double x = x0 + (epochs > 1 ? (double)e / (epochs - 1) : 0.5) * w;
      double y = y0 + h - (c[s].values[e] - lo) / (hi - lo) * h;
      fprintf(f, "%.1f,%.1f ", x, y);
    }
    fprintf(f, "\"/>\n");
  }
  /* legend: top right for losses (they fall), bottom right for accuracies (they rise) */
  int ly0 = fixed01 ? y0 + h - 10 - 16 * n : y0 + 6;
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"150\" height=\"%d\" fill=\"white\" fill-opacity=\"0.85\" "
             "stroke=\"#ccc\"/>\n", x0 + w - 158, ly0, 16 * n + 4);
  for (int s = 0; s < n; s++) {
    int ly = ly0 + 10 + 16 * s;
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", x0 + w - 150, ly,
            x0 + w - 125, ly, c[s].colour, c[s].dashed ? " stroke-dasharray=\"6 4\"" : "");
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" dominant-baseline=\"central\">", x0 + w - 120, ly);
    svg_text(f, c[s].name);
    fprintf(f, "</text>\n");
  }
  fprintf(f, "</g>\n");
}

void svg_curves(FILE *f, const char *title, int epochs, const curve_t *loss, int n_loss, const curve_t *acc, int n_acc) {
  int pw = 380, ph = 240, width = 2 * pw + 160, height = ph + 120;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"Helvetica, Arial, sans-serif\">\n", width, height, width, height);
  fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height);
  fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\" text-anchor=\"middle\">", width / 2);
  svg_text(f, title);
  fprintf(f, "</text>\n");
  panel(f, 60, 60, pw, ph, "loss", epochs, loss, n_loss, 0);
  panel(f, 60 + pw + 60, 60, pw, ph, "accuracy", epochs, acc, n_acc, 1);
  fprintf(f, "</svg>\n");
}

/* The XML declaration, <svg> on a white ground, and the title centred on top. */
static void svg_open(FILE *f, int width, int height, const char *title) {
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
          width, height, width, height, width, height);
  fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">", width / 2);
  svg_text(f, title);
  fputs("</text>\n", f);
}

void svg_reliability(FILE *f, const char *title, const size_t *count, const double *confidence, const double *accuracy,
                     int bins) {
  int x0 = 70, y0 = 50, w = 420, h = 320, width = x0 + w + 40, height = y0 + h + 90;
  svg_open(f, width, height, title);
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", x0, y0, w, h);
  for (int t = 0; t <= 5; t++) { /* ticks 0, 0.2, ... 1 on both axes */
    double v = t / 5.0;
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.1f</text>\n", x0 - 6, y0 + h - v * h + 4, v);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.1f</text>\n", x0 + v * w, y0 + h + 16, v);
  }
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"5 4\"/>\n", x0, y0 + h, x0 + w, y0);
  for (int b = 0; b < bins; b++) {
    if (!count[b]) continue;
    double bx = x0 + (double)b * w / bins, bw = (double)w / bins - 2, top = y0 + h - accuracy[b] * h;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4c78a8\" fill-opacity=\"0.8\"/>\n", bx + 1,
            top, bw, accuracy[b] * h);
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>\n", x0 + confidence[b] * w, y0 + h - confidence[b] * h);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\" fill=\"#555\">%zu</text>\n",
            bx + 1 + bw / 2, y0 + h + 28, count[b]); /* below the axis: no dot hides it */
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">confidence (the top label's probability), "
             "15 bins; segments per bin below the axis</text>\n", x0 + w / 2, y0 + h + 46);
  fprintf(f, "<text x=\"18\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">accuracy "
             "in the bin</text>\n", y0 + h / 2, y0 + h / 2);
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">bars: accuracy; red dots: mean confidence; dashed: "
             "perfect calibration</text>\n", x0 - 40, y0 + h + 64);
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">a bar below its dot: over-confident (surer than right); "
             "above it: under-confident</text>\n</svg>\n", x0 - 40, y0 + h + 78);
}

/* The bars' x axis below the plot: ticks at nice steps from lo to hi. */
static void bars_axis(FILE *f, int x0, int y, int w, double lo, double hi) {
  double step = nice_step(hi - lo, 5);
  fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", x0, y, x0 + w, y);
  for (double v = ceil(lo / step - 1e-9) * step; v <= hi + 1e-12; v += step) {
    double x = x0 + (v - lo) / (hi - lo) * w;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>\n", x, y, x, y + 4);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.3g</text>\n", x, y + 15,
            fabs(v) < step * 1e-6 ? 0 : v);
  }
}

void svg_bars(FILE *f, const char *title, char *const *names, const double *value, const double *spread, int n,
              const char *axis) {
  int x0 = 210, y0 = 50, w = 370, bar = 18, h = n * bar, width = x0 + w + 70, height = y0 + h + 70;
  double lo = 0, hi = 1e-12; /* the scale holds every bar and whisker, zero included */
  for (int i = 0; i < n; i++) {
    double s = spread ? spread[i] : 0;
    lo = fmin(lo, value[i] - s), hi = fmax(hi, value[i] + s);
  }
  double span = hi - lo;
  lo -= lo < 0 ? 0.02 * span : 0, hi += 0.02 * span;
#define BAR_X(v) (x0 + ((v) - lo) / (hi - lo) * w)
  svg_open(f, width, height, title);
  fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>\n", BAR_X(0), y0 - 4, BAR_X(0),
          y0 + h + 4);
  for (int i = 0; i < n; i++) {
    double y = y0 + i * bar, a = BAR_X(fmin(0, value[i])), b = BAR_X(fmax(0, value[i]));
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", x0 - 8, y + bar - 6);
    svg_text(f, names[i]);
    fprintf(f, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", a, y + 2, b - a,
            bar - 4, value[i] >= 0 ? "#4c78a8" : "#e45756");
    double s = spread ? spread[i] : 0;
    if (s > 0)
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n", BAR_X(value[i] - s),
              y + bar / 2.0, BAR_X(value[i] + s), y + bar / 2.0);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%.3f</text>\n", BAR_X(fmax(0, value[i] + s)) + 4,
            y + bar - 6, value[i]);
  }
  bars_axis(f, x0, y0 + h + 6, w, lo, hi);
#undef BAR_X
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">", x0 + w / 2, y0 + h + 44);
  svg_text(f, axis);
  fprintf(f, "</text>\n</svg>\n");
}

/* the ranking's axis: from below the lowest bound, in steps of 0.05, to 1 */
static double ranking_floor(const double *value, const double *lo, int n) {
  double m = 1;
  for (int i = 0; i < n; i++) {
    if (!isnan(value[i])) m = fmin(m, value[i]);
    if (!isnan(lo[i])) m = fmin(m, lo[i]);
  }
  m = floor(m * 20 - 1e-9) / 20;
  return m < 0 ? 0 : m >= 1 ? 0.95 : m;
}

void svg_ranking(FILE *f, const char *title, const char *const *names, const double *value, const double *lo,
                 const double *hi, int n, const int (*group)[2], int n_groups, const char *axis) {
  const int left = 230, w = 420, top = 40, row = 26, gap = 14;
  int height = top + n * row + 50, width = left + w + 30 + gap * (n_groups + 1);
  double a0 = ranking_floor(value, lo, n);
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", width, height,
          width, height);
  fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"14\" font-weight=\"bold\">", 10), svg_text(f, title), fputs("</text>\n", f);
  double step = nice_step(1 - a0, 5);
  for (double v = a0; v <= 1 + 1e-9; v += step) {
    double x = left + (v - a0) / (1 - a0) * w;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n", x, top - 6, x, top + n * row);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.2f</text>\n", x,
            top + n * row + 14, v);
  }
  fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">", left + w / 2, top + n * row + 32);
  svg_text(f, axis), fputs("</text>\n", f);
  for (int i = 0; i < n; i++) {
    double y = top + i * row + row / 2.0, x = left + (value[i] - a0) / (1 - a0) * w;
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" dominant-baseline=\"central\">",
            left - 10, y);
    svg_text(f, names[i]), fputs("</text>\n", f);
    if (!isnan(lo[i]) && !isnan(hi[i]))
      fprintf(f, "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\" "
                 "stroke-width=\"2\"/>\n", left + (lo[i] - a0) / (1 - a0) * w, y, left + (hi[i] - a0) / (1 - a0) * w, y);
    fprintf(f, "<circle class=\"model\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#1f77b4\"/>\n", x, y);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%.3f</text>\n", x, y - 8, value[i]);
  }
  for (int g = 0; g < n_groups; g++) {
    double x = left + w + 20 + gap * g;
    double y0 = top + group[g][0] * row + row / 2.0 - 6, y1 = top + group[g][1] * row + row / 2.0 + 6;
    fprintf(f, "<line class=\"tie\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" "
               "stroke-width=\"4\"/>\n", x, y0, x, y1);
  }
  fprintf(f, "</svg>\n");
}
