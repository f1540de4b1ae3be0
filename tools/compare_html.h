/* `qinfer compare --html FILE`: the comparison as one self-contained HTML page (inline CSS and SVG, no script, no
 * font or image from elsewhere), made to be read by a person: the models, the command line, qinfer's version and
 * ISA; the outputs; SQNR per tensor along REF's execution order as a chart (quantized and float tensors marked
 * apart), with the isolated view (each quantized node of TEST alone on REF's inputs, QINFER_COMPARE_ISOLATED) as
 * a second series; every per-layer row in a table, in the comparison's order (worst isolated SQNR first when the
 * isolated view is there, else worst SQNR); for the first of them, histograms of REF's values and
 * TEST's (dequantized) values overlaid, linear or log count (a CSS checkbox), and the quantization parameters
 * read from the models' QuantizeLinear / DequantizeLinear / QLinear* nodes; with profiling, the median time of
 * the node that writes each tensor in either session, as a column and a bar chart under the SQNR chart.
 * docs/cli.md describes the page. */
#ifndef QI_TOOLS_COMPARE_HTML_H
#define QI_TOOLS_COMPARE_HTML_H

#include <stddef.h>

#include "qinfer.h"
#include "qinfer_quant.h"
#include "tools/run_timing.h"

/* The data colours of the charts (tests/compare_html/check_report.py looks for them in the rendered page). */
#define QI_HTML_QUANT_COLOR "#d62728" /* SQNR of a tensor TEST holds quantized (dequantized for the metrics) */
#define QI_HTML_FLOAT_COLOR "#1f77b4" /* SQNR of a tensor TEST holds in floating point */
#define QI_HTML_ISOLATED_COLOR "#2ca02c" /* isolated SQNR: TEST's node alone on REF's inputs */
#define QI_HTML_REF_HIST_COLOR "#6baed6" /* histogram bars of REF's values */
#define QI_HTML_TEST_HIST_COLOR "#e6550d" /* histogram outline of TEST's values */
#define QI_HTML_REF_MS_COLOR "#9467bd" /* node time in REF */
#define QI_HTML_TEST_MS_COLOR "#ff7f0e" /* node time in TEST */

typedef struct qi_compare_html {
  const char *path;                /* the page to write */
  const char *ref_path, *test_path;
  int argc;                        /* the command's arguments after "compare", for the page's command line */
  char **argv;
  const qinfer_model *rm, *tm;
  const qinfer_session *rs, *ts;   /* created with keep_intermediates; their tensors hold full runs' values (run
                                    * TEST again after an isolated comparison, which leaves its own there) */
  const qinfer_compare *cmp;       /* run with QINFER_COMPARE_PER_LAYER (and QINFER_COMPARE_ISOLATED) */
  size_t hist_count;               /* histograms for the worst hist_count tensors */
  const qi_node_times *ref_prof, *test_prof; /* per-node medians of both sessions, or NULL without profiling */
} qi_compare_html;

/* --profile: times every node of both sessions (created with profiling on, inputs set) over
 * QI_HTML_PROFILE_RUNS runs after one warm-up run; ref / test get the per-node medians (free their median_ms).
 * Returns an exit code (failures reported). */
enum { QI_HTML_PROFILE_RUNS = 5 };
int qi_compare_html_profile(qinfer_session *rs, qinfer_session *ts, qi_node_times *ref, qi_node_times *test);

/* Writes the page (replacing h->path). Errors are reported (qi_cli_error); returns an exit code. */
int qi_compare_html_write(const qi_compare_html *h);

#endif /* QI_TOOLS_COMPARE_HTML_H */
