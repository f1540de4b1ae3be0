/* What `qinfer compare --html` shows beside each per-layer row of the comparison (tools/compare_html.h): the
 * tensor's place in REF's execution order, its quantization parameters in either model, the time of the node
 * that writes it in either session, and its values for the histograms. */
#ifndef QI_TOOLS_COMPARE_HTML_ROWS_H
#define QI_TOOLS_COMPARE_HTML_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ir/ir.h"
#include "tools/compare_html.h"

/* Quantization parameters of a tensor, read from the constants of the node that quantizes it (QuantizeLinear
 * writing it, DequantizeLinear reading or writing it, a QLinear* op writing it, or a QuantizeLinear reading it:
 * `role` says which). scale and zero_point are the model's constants (borrowed from its graph). */
typedef struct qi_html_qparams {
  bool found;
  const qi_node *node;        /* the node they come from */
  const char *role;           /* "written by", "dequantized by", "quantized next by" */
  const qi_tensor *scale;     /* float, 1 value (per tensor) or one per channel of `axis` */
  const qi_tensor *zero_point; /* NULL: 0 */
  int64_t axis;               /* the channel axis of per-axis parameters (normalised), -1 per tensor */
  int64_t block_size;         /* blocked parameters (not dequantized here), else 0 */
} qi_html_qparams;

typedef struct qi_html_row {
  qinfer_compare_row r; /* the comparison's row */
  size_t worst;         /* its index in the comparison's rows (worst SQNR first) */
  size_t exec_key;      /* REF's readable tensor index (in the execution order of its producer), the sort key */
  size_t exec_pos;      /* its position along REF's execution order (0 = first computed), on the chart's x axis */
  bool quantized;       /* TEST holds the tensor as integers (dequantized for the metrics) */
  qi_html_qparams ref_q, test_q;
  double ref_ms, test_ms; /* median time of the node writing it in REF / TEST; NAN without profiling or node */
  const char *test_op, *test_kernel; /* that node of TEST's session: op type and kernel; NULL when none */
} qi_html_row;

typedef struct qi_html_rows {
  qi_html_row *v; /* worst first, as the comparison's rows */
  size_t n;
  size_t *by_exec; /* indices into v in execution order */
} qi_html_rows;

/* Gathers the rows of h->cmp. False when out of memory (reported). */
bool qi_html_rows_build(const qi_compare_html *h, qi_html_rows *rows);
void qi_html_rows_free(qi_html_rows *rows);

/* Histograms of one row: REF's values and TEST's values (dequantized with test_q when TEST's are integers) over
 * the same bins spanning both (non-finite values left out). */
enum { QI_HTML_HIST_BINS = 64 };
typedef struct qi_html_hist {
  double lo, hi;                          /* the bins' range */
  int64_t ref[QI_HTML_HIST_BINS], test[QI_HTML_HIST_BINS];
  bool has_test;                          /* TEST's values could be read (and dequantized) */
} qi_html_hist;

/* False when REF's tensor cannot be read (no histogram). */
bool qi_html_histogram(const qi_compare_html *h, const qi_html_row *row, qi_html_hist *out);

#endif /* QI_TOOLS_COMPARE_HTML_ROWS_H */
