/* The SVG charts of `qinfer compare --html` (tools/compare_html_charts.h). */
#include "tools/compare_html_charts.h"

#include <math.h>

#include "tools/compare_format.h"
#include "tools/svg_axis.h"

/* Canvas sizes; the SQNR and latency charts share their x frame, so a tensor's bar sits under its mark. */
enum { CHART_W = 960, SQNR_H = 320, MS_H = 170, LEFT = 64, RIGHT = 16, HIST_W = 440, HIST_H = 230 };

/* The x axis of both per-tensor charts: the tensor at position p (0-based) of the execution order at p + 1, the
 * position the table shows; whole steps, room of at least half a step on either side. */
static qi_svg_axis exec_axis(size_t n) {
  qi_svg_axis ax = qi_svg_nice_axis(0, (double)n + 1, 10);
  if (ax.step < 1) ax = (qi_svg_axis){0, ceil(ax.hi), 1};
  return ax;
}

static double exec_x(const qi_svg_frame *fr, const qi_svg_axis *ax, size_t p) {
  return qi_svg_to_x(fr, ax, (double)p + 1);
}

static void axis_titles(qi_svg *s, const qi_svg_frame *fr, const char *x, const char *y) {
  qi_svg_rect(s, fr->x0, fr->y1, fr->x1 - fr->x0, fr->y0 - fr->y1, "black", "none");
  if (x) qi_svg_text(s, 0.5 * (fr->x0 + fr->x1), fr->y0 + 36, 12, QI_SVG_MIDDLE, 0, x);
  qi_svg_text(s, fr->x0 - 44, 0.5 * (fr->y0 + fr->y1), 12, QI_SVG_MIDDLE, -90, y);
}

/* ---- SQNR along the graph ---- */

/* One tensor's mark with its tooltip: a circle (quantized in TEST) or a square (float), hollow when its SQNR is
 * off the axis (drawn on an edge). */
static void sqnr_mark(FILE *f, double x, double y, const qi_html_row *row, bool hollow) {
  const char *c = row->quantized ? QI_HTML_QUANT_COLOR : QI_HTML_FLOAT_COLOR;
  if (row->quantized)
    fprintf(f, "<circle class=\"mark quantized\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" stroke=\"%s\">", x, y,
            hollow ? "white" : c, c);
  else
    fprintf(f, "<rect class=\"mark float\" x=\"%.2f\" y=\"%.2f\" width=\"7\" height=\"7\" fill=\"%s\" stroke=\"%s\">",
            x - 3.5, y - 3.5, hollow ? "white" : c, c);
  char b[32];
  fputs("<title>", f);
  qi_svg_escape(f, row->r.ref.name);
  fputs(" (", f);
  qi_svg_escape(f, row->r.op);
  fprintf(f, "): SQNR %s dB", qi_cmp_fmt(row->r.sqnr_db, 4, b, sizeof b));
  if (row->r.has_isolated) fprintf(f, ", isolated %s dB", qi_cmp_fmt(row->r.isolated_sqnr_db, 4, b, sizeof b));
  fputs("</title>", f);
  fputs(row->quantized ? "</circle>\n" : "</rect>\n", f);
}

/* The isolated SQNR of a row: a diamond (hollow off the axis) with its tooltip. */
static void isolated_mark(FILE *f, double x, double y, const qi_html_row *row, bool hollow) {
  char b[32];
  fprintf(f, "<path class=\"mark-isolated\" d=\"M%.2f %.2fl5 5l-5 5l-5 -5z\" fill=\"%s\" stroke=\"%s\"><title>", x,
          y - 5, hollow ? "white" : QI_HTML_ISOLATED_COLOR, QI_HTML_ISOLATED_COLOR);
  qi_svg_escape(f, row->r.ref.name);
  fputs(": isolated SQNR ", f);
  fputs(qi_cmp_fmt(row->r.isolated_sqnr_db, 4, b, sizeof b), f);
  fputs(" dB (TEST node ", f);
  qi_svg_escape(f, row->r.node_op ? row->r.node_op : "?");
  fputs(" alone on REF's inputs)</title></path>\n", f);
}

void qi_html_sqnr_chart(FILE *f, const qi_html_rows *rows) {
  qi_svg s;
  qi_svg_begin(&s, f, CHART_W, SQNR_H, "chart sqnr-chart");
  const qi_svg_frame fr = {LEFT, CHART_W - RIGHT, SQNR_H - 50, 12};
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < rows->n; i++) {
    const qinfer_compare_row *r = &rows->v[i].r;
    const double v[2] = {r->sqnr_db, r->has_isolated ? r->isolated_sqnr_db : NAN};
    for (int k = 0; k < 2; k++)
      if (isfinite(v[k])) lo = v[k] < lo ? v[k] : lo, hi = v[k] > hi ? v[k] : hi;
  }
  if (!isfinite(lo)) lo = 0, hi = 60; /* nothing finite: an axis all the same */
  qi_svg_axis ay = qi_svg_nice_axis(lo, hi, 6), ax = exec_axis(rows->n);
  if (ay.lo == lo) ay.lo -= ay.step; /* no mark on the frame's edge, where off-axis values go */
  if (ay.hi == hi) ay.hi += ay.step;
  qi_svg_x_ticks(&s, &fr, &ax, NULL);
  qi_svg_y_ticks(&s, &fr, &ay, NULL);
  axis_titles(&s, &fr, "position in REF's execution order (tensors compared)", "SQNR (dB)");
  /* the line through the finite values, then the marks over it */
  qi_svg_polyline_begin(&s, "#b8b8b8", 1);
  for (size_t p = 0; p < rows->n; p++) {
    const double v = rows->v[rows->by_exec[p]].r.sqnr_db;
    if (isfinite(v)) qi_svg_point(&s, exec_x(&fr, &ax, p), qi_svg_to_y(&fr, &ay, v));
  }
  qi_svg_polyline_end(&s);
  for (size_t p = 0; p < rows->n; p++) {
    const qi_html_row *row = &rows->v[rows->by_exec[p]];
    const double v = row->r.sqnr_db, iv = row->r.isolated_sqnr_db, x = exec_x(&fr, &ax, p);
    /* the diamond first: where both views agree, the tensor's own mark stays visible inside it */
    if (row->r.has_isolated)
      isolated_mark(f, x, isfinite(iv) ? qi_svg_to_y(&fr, &ay, iv) : iv > 0 ? fr.y1 : fr.y0, row, !isfinite(iv));
    sqnr_mark(f, x, isfinite(v) ? qi_svg_to_y(&fr, &ay, v) : v > 0 ? fr.y1 : fr.y0, row, !isfinite(v));
  }
  qi_svg_end(&s);
}

/* ---- node times ---- */

void qi_html_latency_chart(FILE *f, const qi_html_rows *rows) {
  qi_svg s;
  qi_svg_begin(&s, f, CHART_W, MS_H, "chart latency-chart");
  const qi_svg_frame fr = {LEFT, CHART_W - RIGHT, MS_H - 50, 12};
  double hi = 0;
  for (size_t i = 0; i < rows->n; i++) {
    if (rows->v[i].ref_ms > hi) hi = rows->v[i].ref_ms;
    if (rows->v[i].test_ms > hi) hi = rows->v[i].test_ms;
  }
  const qi_svg_axis ax = exec_axis(rows->n), ay = qi_svg_nice_axis(0, hi > 0 ? hi : 1, 4);
  qi_svg_x_ticks(&s, &fr, &ax, NULL);
  qi_svg_y_ticks(&s, &fr, &ay, NULL);
  axis_titles(&s, &fr, "position in REF's execution order (as above)", "node ms");
  const double slot = (fr.x1 - fr.x0) / (ax.hi - ax.lo), w = slot * 0.4 > 0.5 ? slot * 0.4 : 0.5;
  for (size_t p = 0; p < rows->n; p++) {
    const qi_html_row *row = &rows->v[rows->by_exec[p]];
    const double x = exec_x(&fr, &ax, p);
    const double ms[2] = {row->ref_ms, row->test_ms};
    for (int k = 0; k < 2; k++) {
      if (!(ms[k] >= 0)) continue; /* no node, or no time */
      const double y = qi_svg_to_y(&fr, &ay, ms[k]);
      qi_svg_rect(&s, k ? x : x - w, y, w, fr.y0 - y, "none", k ? QI_HTML_TEST_MS_COLOR : QI_HTML_REF_MS_COLOR);
    }
  }
  qi_svg_end(&s);
}

/* ---- histograms ---- */

static void pow10_label(double v, double step, char *buf, size_t size) {
  (void)step;
  snprintf(buf, size, "%g", pow(10, v));
}

/* A bin count's height on the chart's scale: the count, or log10 of it (a count of 0 has none). */
static double bar_value(int64_t count, bool log_count) {
  return log_count ? (count > 0 ? log10((double)count) : NAN) : (double)count;
}

void qi_html_hist_chart(FILE *f, const qi_html_hist *h, bool log_count) {
  qi_svg s;
  qi_svg_begin(&s, f, HIST_W, HIST_H, log_count ? "chart hist hist-log" : "chart hist hist-linear");
  /* the counts drawn, for a reader (and the tests) that wants the numbers */
  fprintf(f, "<g class=\"hist-data\" data-range=\"%.9g %.9g\" data-ref-counts=\"", h->lo, h->hi);
  for (int b = 0; b < QI_HTML_HIST_BINS; b++) fprintf(f, "%s%lld", b ? " " : "", (long long)h->ref[b]);
  fputs("\" data-test-counts=\"", f);
  for (int b = 0; h->has_test && b < QI_HTML_HIST_BINS; b++) fprintf(f, "%s%lld", b ? " " : "", (long long)h->test[b]);
  fputs("\"></g>\n", f);
  /* In log scale a bar of count 1 (log 0) stands 12 px above the frame's bottom, on the tick "1". */
  const qi_svg_frame fr = {56, HIST_W - 10, HIST_H - 44, 10}, tick_fr = {fr.x0, fr.x1, fr.y0 - 12, fr.y1};
  const qi_svg_frame *yf = log_count ? &tick_fr : &fr;
  int64_t most = 1;
  for (int b = 0; b < QI_HTML_HIST_BINS; b++) {
    if (h->ref[b] > most) most = h->ref[b];
    if (h->has_test && h->test[b] > most) most = h->test[b];
  }
  const qi_svg_axis ax = qi_svg_nice_axis(h->lo, h->hi, 5);
  const qi_svg_axis ay = log_count ? (qi_svg_axis){0, ceil(log10((double)most)) > 0 ? ceil(log10((double)most)) : 1, 1}
                                   : qi_svg_nice_axis(0, (double)most, 4);
  qi_svg_x_ticks(&s, &fr, &ax, NULL);
  qi_svg_y_ticks(&s, yf, &ay, log_count ? pow10_label : NULL);
  axis_titles(&s, &fr, NULL, log_count ? "count (log)" : "count");
  const double width = (h->hi - h->lo) / QI_HTML_HIST_BINS;
  for (int b = 0; b < QI_HTML_HIST_BINS; b++) {
    const double v = bar_value(h->ref[b], log_count);
    if (!(v >= 0) || (!log_count && v == 0)) continue;
    const double x0 = qi_svg_to_x(&fr, &ax, h->lo + b * width), x1 = qi_svg_to_x(&fr, &ax, h->lo + (b + 1) * width);
    const double y = qi_svg_to_y(yf, &ay, v);
    qi_svg_rect(&s, x0, y, x1 - x0, fr.y0 - y, "none", QI_HTML_REF_HIST_COLOR);
  }
  if (h->has_test) { /* TEST's counts as a step line over the bars */
    qi_svg_polyline_begin(&s, QI_HTML_TEST_HIST_COLOR, 2);
    for (int b = 0; b < QI_HTML_HIST_BINS; b++) {
      const double v = bar_value(h->test[b], log_count);
      const double y = v >= 0 ? qi_svg_to_y(yf, &ay, v) : fr.y0;
      qi_svg_point(&s, qi_svg_to_x(&fr, &ax, h->lo + b * width), y);
      qi_svg_point(&s, qi_svg_to_x(&fr, &ax, h->lo + (b + 1) * width), y);
    }
    qi_svg_polyline_end(&s);
  }
  qi_svg_end(&s);
}
