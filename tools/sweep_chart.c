#include "tools/sweep_chart.h"

#include <math.h>
#include <stdio.h>

#include "tools/svg_axis.h"

enum { TICKS_WANTED = 5, LINE = 12, LABEL_WIDTH = 100 };

static void draw_panel(qi_svg *s, const qi_svg_frame *f, const qi_svg_axis *ax, const qi_svg_axis *ay,
                       const char *xlabel, const qi_sweep_point *p, int n, bool latency) {
  char buf[64];
  double label_x[QI_SWEEP_MAX_POINTS], label_y[QI_SWEEP_MAX_POINTS];
  qi_svg_x_ticks(s, f, ax, NULL);
  qi_svg_y_ticks(s, f, ay, NULL);
  qi_svg_rect(s, f->x0, f->y1, f->x1 - f->x0, f->y0 - f->y1, "black", "none");
  qi_svg_text(s, 0.5 * (f->x0 + f->x1), f->y0 + 38, 13, QI_SVG_MIDDLE, 0, xlabel);
  qi_svg_text(s, f->x0 - 42, 0.5 * (f->y0 + f->y1), 13, QI_SVG_MIDDLE, -90, "output SQNR vs FP32 (dB)");
  for (int i = 0; i < n; i++) {
    const double x = qi_svg_to_x(f, ax, latency ? p[i].latency_ms : p[i].size_mb);
    const bool inf = isinf(p[i].sqnr_db) && p[i].sqnr_db > 0;
    const bool nan = isnan(p[i].sqnr_db) || (isinf(p[i].sqnr_db) && !inf); /* -inf: a zero FP32 output */
    const double y = inf ? f->y1 : nan ? f->y0 : qi_svg_to_y(f, ay, p[i].sqnr_db);
    qi_svg_circle(s, x, y, 4, "#1f5fa8", "point");
    snprintf(buf, sizeof buf, "%s%s", p[i].label, inf ? " (inf dB)" : nan ? " (no SQNR)" : "");
    /* a label that would cover an earlier one (points at nearly the same place) moves down a line */
    double ly = y + (inf ? 14 : -6);
    for (int k = 0; k < i; k++)
      if (fabs(ly - label_y[k]) < LINE && fabs(x - label_x[k]) < LABEL_WIDTH) ly = label_y[k] + LINE, k = -1;
    label_x[i] = x, label_y[i] = ly;
    qi_svg_text(s, x + 6, ly, 11, QI_SVG_START, 0, buf);
  }
}

bool qi_sweep_chart_write(const char *path, const char *title, const qi_sweep_point *p, int n) {
  if (n > QI_SWEEP_MAX_POINTS) n = QI_SWEEP_MAX_POINTS;
  double size_max = 0, lat_max = 0, lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++) {
    if (p[i].size_mb > size_max) size_max = p[i].size_mb;
    if (p[i].latency_ms > lat_max) lat_max = p[i].latency_ms;
    if (isfinite(p[i].sqnr_db)) {
      if (p[i].sqnr_db < lo) lo = p[i].sqnr_db;
      if (p[i].sqnr_db > hi) hi = p[i].sqnr_db;
    }
  }
  if (!isfinite(lo)) lo = 0, hi = 10; /* no finite SQNR: an axis all the same */
  /* x axes from 0 with room for the labels right of the largest point; y with a margin of a step */
  const qi_svg_axis ax_size = qi_svg_nice_axis(0, size_max * 1.15, TICKS_WANTED),
                    ax_lat = qi_svg_nice_axis(0, lat_max * 1.15, TICKS_WANTED);
  qi_svg_axis ay = qi_svg_nice_axis(lo, hi, TICKS_WANTED);
  ay.lo -= ay.step, ay.hi += ay.step;
  qi_svg s;
  if (!qi_svg_open(&s, path, 1000, 460)) return false;
  qi_svg_text(&s, 500, 26, 15, QI_SVG_MIDDLE, 0, title);
  const qi_svg_frame left = {80, 470, 390, 50}, right = {580, 970, 390, 50};
  draw_panel(&s, &left, &ax_size, &ay, "model file size (MB)", p, n, false);
  draw_panel(&s, &right, &ax_lat, &ay, "median latency per run (ms)", p, n, true);
  return qi_svg_close(&s);
}
