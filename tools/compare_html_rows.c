/* The rows of `qinfer compare --html` (tools/compare_html_rows.h). */
#include "tools/compare_html_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/tensor_stats.h"
#include "tools/cli.h"
#include "tools/session_graph.h"

/* ---- quantization parameters from a model's graph ---- */

/* Output scale and zero point slots of the QLinear ops (ONNX and com.microsoft) that write a quantized tensor. */
static const struct {
  const char *op;
  int scale, zero_point;
} qlinear_outputs[] = {
    {"QLinearConv", 6, 7},        {"QLinearMatMul", 6, 7},    {"QLinearAdd", 6, 7},
    {"QLinearMul", 6, 7},         {"QGemm", 7, 8},            {"QLinearSigmoid", 3, 4},
    {"QLinearLeakyRelu", 3, 4},   {"QLinearSoftmax", 3, 4},   {"QLinearAveragePool", 3, 4},
    {"QLinearGlobalAveragePool", 3, 4}, {"QLinearConcat", 0, 1},
};

static const qi_tensor *const_input(const qi_graph *g, const qi_node *n, int slot) {
  if (slot >= n->n_inputs || n->inputs[slot] < 0) return NULL;
  const qi_tensor *t = &g->tensors[n->inputs[slot]];
  return (t->flags & QI_TF_CONST) && t->data && t->rank >= 0 ? t : NULL;
}

/* The parameters in slots (s, z) of node n, for a tensor of rank `rank` (per-axis scales need the axis the node
 * names, Q / DQ's `axis`; QLinear ops have per-tensor output parameters). False when they are not constants of a
 * readable form: float scales, one or one per channel, a zero point of as many values. */
static bool params_at(const qi_graph *g, const qi_node *n, int s, int z, int rank, const char *role,
                      qi_html_qparams *q) {
  const qi_tensor *S = const_input(g, n, s), *Z = z < n->n_inputs && n->inputs[z] >= 0 ? const_input(g, n, z) : NULL;
  const bool z_absent = z >= n->n_inputs || n->inputs[z] < 0;
  if (!S || S->dtype != QINFER_DTYPE_FLOAT || (!Z && !z_absent)) return false;
  const int64_t count = qi_tensor_numel(S);
  if (count < 1 || (Z && (qi_tensor_numel(Z) != count || !qi_dtype_size(Z->dtype)))) return false;
  const bool qdq = !strcmp(n->op_type, "QuantizeLinear") || !strcmp(n->op_type, "DequantizeLinear");
  int64_t axis = -1, block = qdq ? qi_attr_int(n, "block_size", 0) : 0;
  if (count > 1 && !block) {
    if (!qdq || S->rank != 1) return false;
    axis = qi_attr_int(n, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
  }
  *q = (qi_html_qparams){.found = true, .node = n, .role = role, .scale = S, .zero_point = Z, .axis = axis,
                         .block_size = block};
  return true;
}

static const qi_node *live_producer(const qi_graph *g, int t) {
  const int p = g->tensors[t].producer;
  return p >= 0 && !g->nodes[p].dead ? &g->nodes[p] : NULL;
}

/* The parameters of the tensor called name (of rank `rank`) in file graph g; q->found false when none. */
static void find_qparams(const qi_graph *g, const char *name, int rank, qi_html_qparams *q) {
  memset(q, 0, sizeof *q);
  const int t = g ? qi_graph_find_tensor(g, name) : -1;
  if (t < 0) return;
  const qi_node *p = live_producer(g, t);
  if (p && !strcmp(p->op_type, "QuantizeLinear") && params_at(g, p, 1, 2, rank, "written by", q)) return;
  if (p && !strcmp(p->op_type, "DequantizeLinear") && params_at(g, p, 1, 2, rank, "dequantized by", q)) return;
  for (size_t k = 0; p && k < sizeof qlinear_outputs / sizeof *qlinear_outputs; k++)
    if (!strcmp(p->op_type, qlinear_outputs[k].op) &&
        params_at(g, p, qlinear_outputs[k].scale, qlinear_outputs[k].zero_point, rank, "written by", q))
      return;
  for (int k = 0; k < g->n_nodes; k++) { /* a reader: DequantizeLinear of it, or QuantizeLinear of it */
    const qi_node *n = &g->nodes[k];
    if (n->dead || n->n_inputs < 2 || n->inputs[0] != t) continue;
    if (!strcmp(n->op_type, "DequantizeLinear") && params_at(g, n, 1, 2, rank, "dequantized by", q)) return;
    if (!strcmp(n->op_type, "QuantizeLinear") && params_at(g, n, 1, 2, rank, "quantized next by", q)) return;
  }
}

/* ---- node times ---- */

/* The node writing the tensor called name in a session's graph: its step in the execution order, or -1. */
static int writer_step(const qi_graph *g, const int *step_of, const char *name) {
  const int t = qi_graph_find_tensor(g, name);
  const int p = t >= 0 ? g->tensors[t].producer : -1;
  return p >= 0 ? step_of[p] : -1;
}

/* step_of[node] = its step in g's execution order, -1 for nodes that do not run. NULL when out of memory. */
static int *steps_of(const qi_graph *g) {
  int *s = malloc(sizeof *s * (size_t)(g->n_nodes + 1));
  if (!s) return NULL;
  for (int k = 0; k < g->n_nodes; k++) s[k] = -1;
  for (int k = 0; k < g->n_order; k++) s[g->order[k]] = k;
  return s;
}

static double step_ms(const qi_node_times *p, int step) {
  return p && p->median_ms && step >= 0 && (size_t)step < p->count ? p->median_ms[step] : NAN;
}

/* ---- rows ---- */

static bool is_float(qinfer_dtype d) {
  return d == QINFER_DTYPE_FLOAT || d == QINFER_DTYPE_DOUBLE || d == QINFER_DTYPE_FLOAT16;
}

/* Rows by their REF tensor's place in the execution order (ties, which should not happen: worst first). */
static int exec_order(const void *x, const void *y) {
  const qi_html_row *a = *(const qi_html_row *const *)x, *b = *(const qi_html_row *const *)y;
  if (a->exec_key != b->exec_key) return a->exec_key < b->exec_key ? -1 : 1;
  return a->worst < b->worst ? -1 : a->worst > b->worst;
}

bool qi_html_rows_build(const qi_compare_html *h, qi_html_rows *rows) {
  memset(rows, 0, sizeof *rows);
  const size_t n = qinfer_compare_layer_count(h->cmp);
  const qi_graph *rs_g = qi_cli_session_graph(h->rs), *ts_g = qi_cli_session_graph(h->ts);
  rows->v = calloc(n + 1, sizeof *rows->v);
  rows->by_exec = calloc(n + 1, sizeof *rows->by_exec);
  const qi_html_row **sorted = calloc(n + 1, sizeof *sorted);
  int *ref_steps = steps_of(rs_g), *test_steps = steps_of(ts_g);
  if (!rows->v || !rows->by_exec || !sorted || !ref_steps || !test_steps) {
    free(ref_steps), free(test_steps), free(sorted);
    qi_html_rows_free(rows);
    qi_cli_error("out of memory");
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    qi_html_row *x = &rows->v[rows->n];
    qinfer_compare_layer(h->cmp, i, &x->r);
    if (x->r.match != QINFER_COMPARE_COMPARED) continue;
    x->worst = i;
    const int e = qinfer_session_tensor_index(h->rs, x->r.ref.name);
    x->exec_key = e >= 0 ? (size_t)e : (size_t)-1;
    x->quantized = !is_float(x->r.test.dtype);
    find_qparams(qi_cli_model_graph(h->rm), x->r.ref.name, x->r.ref.rank, &x->ref_q);
    find_qparams(qi_cli_model_graph(h->tm), x->r.test.name, x->r.test.rank, &x->test_q);
    const int rstep = writer_step(rs_g, ref_steps, x->r.ref.name);
    const int tstep = writer_step(ts_g, test_steps, x->r.test.name);
    x->ref_ms = step_ms(h->ref_prof, rstep);
    x->test_ms = step_ms(h->test_prof, tstep);
    if (tstep >= 0) {
      x->test_op = ts_g->nodes[ts_g->order[tstep]].op_type;
      if (h->test_prof && (size_t)tstep < h->test_prof->count) x->test_kernel = h->test_prof->rec[tstep].kernel;
    }
    sorted[rows->n] = x;
    rows->n++;
  }
  free(ref_steps), free(test_steps);
  qsort(sorted, rows->n, sizeof *sorted, exec_order);
  for (size_t p = 0; p < rows->n; p++) {
    rows->by_exec[p] = (size_t)(sorted[p] - rows->v);
    rows->v[rows->by_exec[p]].exec_pos = p;
  }
  free(sorted);
  return true;
}

void qi_html_rows_free(qi_html_rows *rows) {
  free(rows->v);
  free(rows->by_exec);
  memset(rows, 0, sizeof *rows);
}

/* ---- histograms ---- */

/* A readable session tensor's values as doubles: float types as they are, integer ones dequantized with q. */
typedef struct values {
  qinfer_tensor_info info;
  const void *data;
  int64_t count;
  const qi_html_qparams *q; /* NULL for float values */
  int64_t inner;            /* elements per channel step (per-axis parameters) */
} values;

static bool open_values(const qinfer_session *s, const char *name, const qi_html_qparams *q, values *v) {
  const int k = qinfer_session_tensor_index(s, name);
  size_t nbytes;
  if (k < 0 || qinfer_session_tensor(s, (size_t)k, &v->info, &v->data, &nbytes) != QINFER_OK || !v->data) return false;
  if (!qi_shape_numel(v->info.rank, v->info.dims, &v->count)) return false;
  v->q = NULL;
  v->inner = 1;
  if (is_float(v->info.dtype)) return true;
  /* integers: only with parameters that describe this tensor (not those of a node reading its float source) */
  if (!q->found || q->block_size || !strcmp(q->role, "quantized next by")) return false;
  if (q->axis >= 0) {
    if (q->axis >= v->info.rank || v->info.dims[q->axis] != qi_tensor_numel(q->scale)) return false;
    for (int d = (int)q->axis + 1; d < v->info.rank; d++) v->inner *= v->info.dims[d];
  }
  v->q = q;
  return true;
}

static double value_at(const values *v, int64_t i) {
  const double x = qi_element_as_double(v->info.dtype, v->data, i);
  if (!v->q) return x;
  const int64_t c = v->q->axis >= 0 ? (i / v->inner) % qi_tensor_numel(v->q->scale) : 0;
  const double zp = v->q->zero_point ? qi_element_as_double(v->q->zero_point->dtype, v->q->zero_point->data, c) : 0;
  return (x - zp) * qi_element_as_double(QINFER_DTYPE_FLOAT, v->q->scale->data, c); /* memcpy: may be unaligned */
}

static void extend_range(const values *v, double *lo, double *hi) {
  for (int64_t i = 0; i < v->count; i++) {
    const double x = value_at(v, i);
    if (!isfinite(x)) continue;
    if (x < *lo) *lo = x;
    if (x > *hi) *hi = x;
  }
}

static void count_values(const values *v, double lo, double hi, int64_t *bins) {
  const double width = (hi - lo) / QI_HTML_HIST_BINS;
  for (int64_t i = 0; i < v->count; i++) {
    const double x = value_at(v, i);
    if (!isfinite(x)) continue;
    int64_t b = (int64_t)((x - lo) / width);
    bins[b < 0 ? 0 : b >= QI_HTML_HIST_BINS ? QI_HTML_HIST_BINS - 1 : b]++;
  }
}

bool qi_html_histogram(const qi_compare_html *h, const qi_html_row *row, qi_html_hist *out) {
  memset(out, 0, sizeof *out);
  values r, t;
  if (!open_values(h->rs, row->r.ref.name, &row->ref_q, &r)) return false;
  out->has_test = open_values(h->ts, row->r.test.name, &row->test_q, &t);
  double lo = INFINITY, hi = -INFINITY;
  extend_range(&r, &lo, &hi);
  if (out->has_test) extend_range(&t, &lo, &hi);
  if (!(lo <= hi)) lo = hi = 0; /* no finite value */
  if (lo == hi) { /* one value: a bin range around it */
    const double pad = lo != 0 ? fabs(lo) * 0.5 : 0.5;
    lo -= pad;
    hi += pad;
  }
  out->lo = lo;
  out->hi = hi;
  count_values(&r, lo, hi, out->ref);
  if (out->has_test) count_values(&t, lo, hi, out->test);
  return true;
}
