#include "tools/svg_axis.h"

#include <math.h>
#include <stdio.h>

qi_svg_axis qi_svg_nice_axis(double lo, double hi, int ticks) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
  const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  return (qi_svg_axis){floor(lo / step) * step, ceil(hi / step) * step, step};
}

double qi_svg_to_x(const qi_svg_frame *f, const qi_svg_axis *a, double v) {
  return f->x0 + (v - a->lo) / (a->hi - a->lo) * (f->x1 - f->x0);
}

double qi_svg_to_y(const qi_svg_frame *f, const qi_svg_axis *a, double v) {
  return f->y0 - (v - a->lo) / (a->hi - a->lo) * (f->y0 - f->y1);
}

void qi_svg_tick_label(double v, double step, char *buf, size_t size) {
  const int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  snprintf(buf, size, "%.*f", decimals, fabs(v) < step * 1e-9 ? 0.0 : v);
}

void qi_svg_x_ticks(qi_svg *s, const qi_svg_frame *f, const qi_svg_axis *ax, qi_svg_label_fn label) {
  char buf[64];
  for (double v = ax->lo; v <= ax->hi + ax->step * 1e-6; v += ax->step) {
    const double x = qi_svg_to_x(f, ax, v);
    qi_svg_line(s, x, f->y1, x, f->y0, "#e6e6e6", 1);
    qi_svg_line(s, x, f->y0, x, f->y0 + 5, "black", 1);
    (label ? label : qi_svg_tick_label)(v, ax->step, buf, sizeof buf);
    qi_svg_text(s, x, f->y0 + 18, 11, QI_SVG_MIDDLE, 0, buf);
  }
}

void qi_svg_y_ticks(qi_svg *s, const qi_svg_frame *f, const qi_svg_axis *ay, qi_svg_label_fn label) {
  char buf[64];
  for (double v = ay->lo; v <= ay->hi + ay->step * 1e-6; v += ay->step) {
    const double y = qi_svg_to_y(f, ay, v);
    qi_svg_line(s, f->x0, y, f->x1, y, "#e6e6e6", 1);
    qi_svg_line(s, f->x0 - 5, y, f->x0, y, "black", 1);
    (label ? label : qi_svg_tick_label)(v, ay->step, buf, sizeof buf);
    qi_svg_text(s, f->x0 - 8, y + 4, 11, QI_SVG_END, 0, buf);
  }
}
