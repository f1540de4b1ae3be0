/* The SVG charts of `qinfer compare --html` (tools/compare_html.h), written inline into the page. */
#ifndef QI_TOOLS_COMPARE_HTML_CHARTS_H
#define QI_TOOLS_COMPARE_HTML_CHARTS_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/compare_html_rows.h"

/* SQNR of every row along REF's execution order: quantized tensors as circles, float ones as squares, the
 * isolated SQNR (rows that have it) as green diamonds at the same x, a tooltip (<title>) naming each; +inf on the
 * top edge and NaN / -inf on the bottom edge, drawn hollow. Legends are the page's: a chart holds no data colour
 * but its data's. */
void qi_html_sqnr_chart(FILE *f, const qi_html_rows *rows);
/* The median time of the node writing each row's tensor in REF and TEST, bars on the SQNR chart's x axis. */
void qi_html_latency_chart(FILE *f, const qi_html_rows *rows);
/* REF's histogram as bars and TEST's as a step line over them; log_count: counts on a log scale. */
void qi_html_hist_chart(FILE *f, const qi_html_hist *h, bool log_count);

#endif /* QI_TOOLS_COMPARE_HTML_CHARTS_H */
