/* `qinfer compare --html FILE` (tools/compare_html.h): the page around the charts. Every string that comes from
 * a model, a file name or the command line goes through qi_svg_escape. */
#include "tools/compare_html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/quant/io/tensor_stats.h"
#include "tools/cli.h"
#include "tools/compare_format.h"
#include "tools/compare_html_charts.h"
#include "tools/compare_html_rows.h"
#include "tools/svg_writer.h"

static const char style[] =
    "body{font-family:sans-serif;margin:16px 24px;color:#222}\n"
    "h1{font-size:20px}h2{font-size:17px;margin-top:28px}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "td.name{min-width:12em;max-width:30em;overflow-wrap:anywhere}td.kernel{font-size:11px;white-space:nowrap}\n"
    "table.meta td{max-width:1100px}\n"
    "code{font-size:12px;overflow-wrap:anywhere}\n"
    ".chart{display:block;margin:8px 0}\n"
    ".hists{display:flex;flex-wrap:wrap;gap:20px}\n"
    ".hists figure{margin:0;width:440px}.hists figcaption{font-size:13px;margin-bottom:4px;overflow-wrap:anywhere}\n"
    ".hist-log{display:none}\n"
    "#logscale:checked~.hists .hist-log{display:block}\n"
    "#logscale:checked~.hists .hist-linear{display:none}\n"
    ".swatch{display:inline-block;width:11px;height:11px;margin:0 4px 0 10px;vertical-align:-1px}\n"
    ".note{font-size:13px;color:#555}\n";

static void put(FILE *f, const char *text) { qi_svg_escape(f, text ? text : ""); }

/* One table cell holding a number as `qinfer compare` prints it. */
static void num_cell(FILE *f, double v, int digits) {
  char b[40];
  fprintf(f, "<td class=\"num\">%s</td>", qi_cmp_fmt(v, digits, b, sizeof b));
}

static void text_cell(FILE *f, const char *text, const char *cls) {
  fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
  put(f, text);
  fputs("</td>", f);
}

/* A legend entry: a square (round: a circle) of color, then label. */
static void swatch(FILE *f, const char *color, bool round, const char *label) {
  fprintf(f, "<span class=\"swatch\" style=\"background:%s%s\"></span>", color, round ? ";border-radius:50%" : "");
  put(f, label);
}

/* ---- the models and the command ---- */

/* An argument as a POSIX shell reads it back: as it is when it holds only safe characters, else single-quoted. */
static void put_shell_word(FILE *f, const char *arg) {
  const bool plain = *arg && strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=/.,:%@") ==
                                 strlen(arg);
  if (plain) {
    put(f, arg);
    return;
  }
  fputs("&#39;", f);
  for (const char *p = arg; *p; p++) {
    if (*p == '\'') fputs("&#39;\\&#39;&#39;", f);
    else {
      const char c[2] = {*p, 0};
      put(f, c);
    }
  }
  fputs("&#39;", f);
}

static void meta_row(FILE *f, const char *key, const char *value) {
  fprintf(f, "<tr><th>%s</th><td><code>", key);
  put(f, value);
  fputs("</code></td></tr>\n", f);
}

static void section_meta(FILE *f, const qi_compare_html *h) {
  fputs("<table class=\"meta\">\n", f);
  meta_row(f, "REF", h->ref_path);
  meta_row(f, "TEST", h->test_path);
  fputs("<tr><th>command</th><td><code>qinfer compare", f);
  for (int i = 0; i < h->argc; i++) {
    fputc(' ', f);
    put_shell_word(f, h->argv[i]);
  }
  fputs("</code></td></tr>\n", f);
  meta_row(f, "qinfer", qinfer_version());
  fputs("<tr><th>ISA</th><td><code>REF ", f);
  put(f, qinfer_session_isa_name(h->rs));
  fputs(", TEST ", f);
  put(f, qinfer_session_isa_name(h->ts));
  fputs("</code></td></tr>\n<tr><th>inputs</th><td>", f);
  for (size_t i = 0; i < qinfer_session_input_count(h->rs); i++) {
    qinfer_tensor_info info;
    char shape[128];
    qinfer_session_input_info(h->rs, i, &info);
    fputs(i ? "<br><code>" : "<code>", f);
    put(f, info.name);
    fprintf(f, " %s %s</code>: %s", qinfer_dtype_name(info.dtype),
            qi_cli_dims_str(info.rank, info.dims, shape, sizeof shape),
            qinfer_compare_input_is_set(h->cmp, i) ? "from --input" : "random values (--seed)");
  }
  double ms[2];
  qinfer_compare_run_ms(h->cmp, &ms[0], &ms[1]);
  fprintf(f,
          "</td></tr>\n<tr><th>compared run</th><td>REF %.3f ms, TEST %.3f ms (one run each, tensors kept)"
          "</td></tr>\n",
          ms[0], ms[1]);
  if (h->ref_prof && h->test_prof)
    fputs("<tr><th>profile</th><td>median time of each node over the profiled runs (<code>--profile</code>)"
          "</td></tr>\n",
          f);
  fputs("</table>\n", f);
}

/* ---- outputs ---- */

static void section_outputs(FILE *f, const qi_compare_html *h) {
  fputs("<h2>Outputs</h2>\n<table class=\"outputs\">\n<tr><th>output</th><th>dtype</th><th>shape</th>"
        "<th>SQNR dB</th><th>cosine</th><th>max |diff|</th><th>mean |diff|</th></tr>\n",
        f);
  for (size_t i = 0; i < qinfer_compare_output_count(h->cmp); i++) {
    qinfer_compare_row r;
    char shape[128];
    qinfer_compare_output(h->cmp, i, &r);
    const bool in_ref = r.match != QINFER_COMPARE_ONLY_IN_TEST;
    fputs("<tr>", f);
    text_cell(f, in_ref ? r.ref.name : r.test.name, "name");
    if (r.match != QINFER_COMPARE_COMPARED) {
      const char *what = r.match == QINFER_COMPARE_ONLY_IN_REF    ? "only in REF"
                         : r.match == QINFER_COMPARE_ONLY_IN_TEST ? "only in TEST"
                                                                  : "differs in shape or dtype";
      fprintf(f, "<td colspan=\"6\">%s</td></tr>\n", what);
      continue;
    }
    text_cell(f, qinfer_dtype_name(r.ref.dtype), NULL);
    text_cell(f, qi_cli_dims_str(r.ref.rank, r.ref.dims, shape, sizeof shape), NULL);
    if (r.is_float) {
      num_cell(f, r.sqnr_db, 4);
      num_cell(f, r.cosine, 6);
      num_cell(f, r.max_abs, 4);
      num_cell(f, r.mean_abs, 4);
    } else {
      fprintf(f, "<td colspan=\"2\">equal %.2f%%</td>", 100.0 * r.equal_share);
      num_cell(f, r.max_abs, 6);
      fputs("<td></td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

/* ---- per-layer chart and table ---- */

static bool rows_have_isolated(const qi_html_rows *rows) {
  for (size_t i = 0; i < rows->n; i++)
    if (rows->v[i].r.has_isolated) return true;
  return false;
}

static void section_chart(FILE *f, const qi_compare_html *h, const qi_html_rows *rows) {
  fputs("<h2>SQNR along the graph</h2>\n<p class=\"note\">Each tensor the two models share, at its place in "
        "REF's execution order; hover a mark for its name.",
        f);
  if (h->ref_prof && h->test_prof) fputs(" Below: the time of the node that writes it in either session.", f);
  fputs("</p>\n<figure id=\"sqnr\">\n<p class=\"note\">", f);
  swatch(f, QI_HTML_QUANT_COLOR, true, "quantized in TEST");
  swatch(f, QI_HTML_FLOAT_COLOR, false, "float in TEST");
  if (rows_have_isolated(rows))
    swatch(f, QI_HTML_ISOLATED_COLOR, false, "isolated: TEST's node alone on REF's inputs (diamonds)");
  fputs(" &#8212; hollow: inf (top edge) or nan (bottom edge)</p>\n", f);
  qi_html_sqnr_chart(f, rows);
  if (h->ref_prof && h->test_prof) {
    fputs("<p class=\"note\">", f);
    swatch(f, QI_HTML_REF_MS_COLOR, false, "REF's node");
    swatch(f, QI_HTML_TEST_MS_COLOR, false, "TEST's node");
    fprintf(f, " &#8212; median ms of the node writing the tensor over %d runs</p>\n", QI_HTML_PROFILE_RUNS);
    qi_html_latency_chart(f, rows);
  }
  fputs("</figure>\n", f);
}

static void section_table(FILE *f, const qi_compare_html *h, const qi_html_rows *rows) {
  const bool prof = h->ref_prof && h->test_prof, iso = rows_have_isolated(rows);
  fprintf(f, "<h2>Per tensor, worst %s first</h2>\n<p class=\"note\">%zu tensors. <i>position</i>: in REF's "
             "execution order (the chart's x); <i>TEST op</i>: the node of TEST's session (after fusion) that "
             "writes the tensor.",
          iso ? "isolated SQNR" : "SQNR", rows->n);
  if (iso)
    fputs(" <i>isolated</i>: that node run alone on REF's values of its inputs (the error it adds by itself); "
          "<i>in-range</i>: the same against REF clamped to the range the quantized tensor can hold (the error "
          "without clipping: far above <i>isolated dB</i>, the range clips too much); "
          "<i>accumulated</i>: the tensor after the whole TEST model (all upstream error included).",
          f);
  fputs("</p>\n<table class=\"layers\">\n<tr><th>#</th><th>position</th><th>tensor</th><th>REF op</th>"
        "<th>TEST op</th><th>TEST dtype</th><th>shape</th>",
        f);
  if (iso) fputs("<th>isolated dB</th><th>isolated in-range dB</th><th>isolated cosine</th><th>accumulated dB</th>", f);
  else fputs("<th>SQNR dB</th>", f);
  fputs("<th>cosine</th><th>max |diff|</th><th>mean |diff|</th>", f);
  if (prof) fputs("<th>REF ms</th><th>TEST ms</th><th>TEST kernel</th>", f);
  fputs("</tr>\n", f);
  for (size_t i = 0; i < rows->n; i++) {
    const qi_html_row *x = &rows->v[i];
    char shape[128];
    fprintf(f, "<tr><td class=\"num\">%zu</td><td class=\"num\">%zu</td><td class=\"name\">", i + 1, x->exec_pos + 1);
    put(f, x->r.ref.name);
    if (strcmp(x->r.ref.name, x->r.test.name) != 0) {
      fputs("<br>TEST: ", f);
      put(f, x->r.test.name);
    }
    fputs("</td>", f);
    text_cell(f, x->r.op, NULL);
    fputs("<td>", f);
    put(f, x->test_op ? x->test_op : "-");
    if (x->r.has_isolated && x->r.node_op && (!x->test_op || strcmp(x->r.node_op, x->test_op) != 0)) {
      fputs("<br>isolated: ", f); /* the node the isolated view ran, when it is not the writer (a DequantizeLinear) */
      put(f, x->r.node_op);
    }
    fputs("</td>", f);
    text_cell(f, qinfer_dtype_name(x->r.test.dtype), NULL);
    text_cell(f, qi_cli_dims_str(x->r.ref.rank, x->r.ref.dims, shape, sizeof shape), NULL);
    if (iso && x->r.has_isolated) {
      num_cell(f, x->r.isolated_sqnr_db, 4);
      num_cell(f, x->r.isolated_in_range_sqnr_db, 4);
      num_cell(f, x->r.isolated_cosine, 6);
    } else if (iso) {
      fputs("<td>-</td><td>-</td><td>-</td>", f);
    }
    num_cell(f, x->r.sqnr_db, 4);
    num_cell(f, x->r.cosine, 6);
    num_cell(f, x->r.max_abs, 4);
    num_cell(f, x->r.mean_abs, 4);
    if (prof) {
      num_cell(f, x->ref_ms, 4);
      num_cell(f, x->test_ms, 4);
      text_cell(f, x->test_kernel ? x->test_kernel : "-", "kernel");
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

/* ---- histograms and quantization parameters ---- */

/* min .. max of n values of a constant tensor (one value when n == 1). */
static void put_range(FILE *f, const qi_tensor *t) {
  const int64_t n = qi_tensor_numel(t);
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    const double v = qi_element_as_double((qinfer_dtype)t->dtype, t->data, i);
    lo = v < lo ? v : lo, hi = v > hi ? v : hi;
  }
  char a[32], b[32];
  if (n == 1 || lo == hi) fprintf(f, "%s", qi_cmp_fmt(lo, 6, a, sizeof a));
  else fprintf(f, "%s &#8230; %s", qi_cmp_fmt(lo, 6, a, sizeof a), qi_cmp_fmt(hi, 6, b, sizeof b));
}

static void qparams_row(FILE *f, const char *side, const qi_html_qparams *q) {
  fprintf(f, "<tr><td>%s</td>", side);
  if (!q->found) {
    fputs("<td colspan=\"3\">none (float, no quantize or dequantize node at this tensor)</td></tr>\n", f);
    return;
  }
  fprintf(f, "<td>%s ", q->role);
  put(f, q->node->op_type);
  if (q->node->name && *q->node->name) {
    fputs(" <code>", f);
    put(f, q->node->name);
    fputs("</code>", f);
  }
  const int64_t n = qi_tensor_numel(q->scale);
  if (q->block_size) fprintf(f, "<br>blocks of %lld", (long long)q->block_size);
  else if (q->axis >= 0) fprintf(f, "<br>per axis %lld, %lld channels", (long long)q->axis, (long long)n);
  else fputs("<br>per tensor", f);
  fputs("</td><td class=\"num\">", f);
  put_range(f, q->scale);
  fputs("</td><td class=\"num\">", f);
  if (q->zero_point) {
    put_range(f, q->zero_point);
    fprintf(f, " (%s)", qinfer_dtype_name(q->zero_point->dtype));
  } else {
    fputs("0", f);
  }
  fputs("</td></tr>\n", f);
}

static void hist_figure(FILE *f, const qi_compare_html *h, const qi_html_row *x, size_t rank) {
  char b[32];
  fprintf(f, "<figure class=\"hist-fig\"><figcaption><b>#%zu</b> <code>", rank + 1);
  put(f, x->r.ref.name);
  fputs("</code> (", f);
  put(f, x->r.op);
  fprintf(f, "), SQNR %s dB", qi_cmp_fmt(x->r.sqnr_db, 4, b, sizeof b));
  if (x->r.has_isolated) fprintf(f, ", isolated %s dB", qi_cmp_fmt(x->r.isolated_sqnr_db, 4, b, sizeof b));
  fputs("</figcaption>\n", f);
  qi_html_hist hist;
  if (qi_html_histogram(h, x, &hist)) {
    qi_html_hist_chart(f, &hist, false);
    qi_html_hist_chart(f, &hist, true);
    if (!hist.has_test) fputs("<p class=\"note\">TEST's values could not be read or dequantized.</p>\n", f);
  } else {
    fputs("<p class=\"note\">REF's values could not be read.</p>\n", f);
  }
  fputs("<table class=\"qparams\"><tr><th></th><th>parameters</th><th>scale</th><th>zero point</th></tr>\n", f);
  qparams_row(f, "REF", &x->ref_q);
  qparams_row(f, "TEST", &x->test_q);
  fputs("</table></figure>\n", f);
}

static void section_histograms(FILE *f, const qi_compare_html *h, const qi_html_rows *rows) {
  const size_t n = h->hist_count < rows->n ? h->hist_count : rows->n;
  if (n == 0) return; /* --html-hist 0, or no tensor compared */
  fprintf(f, "<h2>Values of the %zu worst tensors</h2>\n<section class=\"hist-section\">\n<p class=\"note\">", n);
  swatch(f, QI_HTML_REF_HIST_COLOR, false, "REF (bars)");
  swatch(f, QI_HTML_TEST_HIST_COLOR, false, "TEST, dequantized (line)");
  fprintf(f, " &#8212; %d bins over the range of both; the scales and zero points are read from the models' "
             "quantize / dequantize nodes.</p>\n",
          QI_HTML_HIST_BINS);
  fputs("<input type=\"checkbox\" id=\"logscale\"><label for=\"logscale\"> counts on a log scale</label>\n"
        "<div class=\"hists\">\n",
        f);
  for (size_t i = 0; i < n; i++) hist_figure(f, h, &rows->v[i], i);
  fputs("</div>\n</section>\n", f);
}

int qi_compare_html_profile(qinfer_session *rs, qinfer_session *ts, qi_node_times *ref, qi_node_times *test) {
  const qi_timing_plan plan = {.warmup = 1, .runs = QI_HTML_PROFILE_RUNS, .profile = true};
  qi_bench_result r = {0}, t = {0};
  int rc = qi_time_runs(&plan, rs, &r);
  if (rc == QI_EXIT_OK) rc = qi_time_runs(&plan, ts, &t);
  *ref = r.prof;
  *test = t.prof;
  return rc;
}

int qi_compare_html_write(const qi_compare_html *h) {
  qi_html_rows rows;
  if (!qi_html_rows_build(h, &rows)) return QI_EXIT_FAILURE;
  FILE *f = fopen(h->path, "w");
  if (!f) {
    qi_html_rows_free(&rows);
    return qi_cli_error("cannot write '%s': %s", h->path, strerror(errno));
  }
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>qinfer compare: ", f);
  put(f, h->ref_path);
  fputs(" vs ", f);
  put(f, h->test_path);
  fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>qinfer compare</h1>\n", style);
  section_meta(f, h);
  section_outputs(f, h);
  section_chart(f, h, &rows);
  section_table(f, h, &rows);
  section_histograms(f, h, &rows);
  fputs("</body>\n</html>\n", f);
  bool bad = ferror(f) != 0;
  bad = fclose(f) != 0 || bad;
  const size_t n = rows.n;
  qi_html_rows_free(&rows);
  if (bad) {
    remove(h->path);
    return qi_cli_error("cannot write '%s': %s", h->path, strerror(errno));
  }
  printf("html   %zu tensors -> %s\n", n, h->path);
  return QI_EXIT_OK;
}
