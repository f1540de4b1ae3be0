/* Axes of the SVG charts (tools/svg_writer.h): ticks at "nice" steps (1, 2 or 5 times a power of ten), a frame
 * on the canvas, value-to-pixel mapping, grid lines and tick labels. Shared by `qinfer sweep --svg` and
 * `qinfer compare --html`. */
#ifndef QI_TOOLS_SVG_AXIS_H
#define QI_TOOLS_SVG_AXIS_H

#include <stddef.h>

#include "tools/svg_writer.h"

/* An axis from lo to hi in steps of step. */
typedef struct qi_svg_axis {
  double lo, hi, step;
} qi_svg_axis;

/* The axis with about `ticks` nice steps covering [lo, hi] (hi <= lo: [lo, lo + 1]). */
qi_svg_axis qi_svg_nice_axis(double lo, double hi, int ticks);

/* A plot's frame on the canvas: x0..x1 left to right, y0..y1 bottom to top (y0 > y1 on screen). */
typedef struct qi_svg_frame {
  double x0, x1, y0, y1;
} qi_svg_frame;

double qi_svg_to_x(const qi_svg_frame *f, const qi_svg_axis *a, double v);
double qi_svg_to_y(const qi_svg_frame *f, const qi_svg_axis *a, double v);

/* A tick's label: v with no more decimals than step needs. */
void qi_svg_tick_label(double v, double step, char *buf, size_t size);
typedef void (*qi_svg_label_fn)(double v, double step, char *buf, size_t size);

/* Grid lines across f, ticks and their labels (label: NULL for qi_svg_tick_label) along the bottom (x) or the
 * left (y) of f. */
void qi_svg_x_ticks(qi_svg *s, const qi_svg_frame *f, const qi_svg_axis *ax, qi_svg_label_fn label);
void qi_svg_y_ticks(qi_svg *s, const qi_svg_frame *f, const qi_svg_axis *ay, qi_svg_label_fn label);

#endif /* QI_TOOLS_SVG_AXIS_H */
