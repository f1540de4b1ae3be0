/* The chart of `qinfer sweep --svg`: two panels, SQNR against file size and SQNR against median latency, one
 * labelled point per configuration (tools/svg_writer.h). */
#ifndef QI_TOOLS_SWEEP_CHART_H
#define QI_TOOLS_SWEEP_CHART_H

#include <stdbool.h>

typedef struct qi_sweep_point {
  const char *label;
  double size_mb, latency_ms;
  double sqnr_db; /* +inf (drawn on the top edge, labelled so) and NaN (on the bottom edge) are allowed */
} qi_sweep_point;

enum { QI_SWEEP_MAX_POINTS = 64 };

/* Writes the chart to path (the first QI_SWEEP_MAX_POINTS points); title goes above the panels. False when the file cannot be written (errno set). */
bool qi_sweep_chart_write(const char *path, const char *title, const qi_sweep_point *points, int n);

#endif /* QI_TOOLS_SWEEP_CHART_H */
