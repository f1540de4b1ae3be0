/* Lookup-table regions of the QDQ pass (engine/pass_qdq.c).
 *
 * Between a DequantizeLinear of a per-tensor quantized x and a QuantizeLinear, a model often has a chain (or a
 * small DAG) of elementwise float ops whose only varying input is x: HardSwish written out as
 * x * Clip(x + 3, 0, 6) / 6, Sigmoid, a learnable scale and shift (Mul / Add by scalars), Relu6. Their output
 * is a function of x alone, and x takes at most 256 values, so the whole region is one 256-entry table:
 *
 *   table[b] = Q(f((q(b) - x_zp) * x_scale))      b: the stored byte, q(b) its value in x's type
 *
 * with f evaluated by qinfer's own float code (the FP32 unary kernels, IEEE arithmetic for Add / Sub / Mul /
 * Div / Max / Min / Pow) and Q the QuantizeLinear rule. The region becomes one QLinearTable node. Its ops are those
 * flagged QI_OPF_ELEMENTWISE (engine/op.h), which the math family describes (qi_math_unary_describe,
 * qi_math_binary_describe). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/math_ops.h"
#include "engine/pass_qdq.h"
#include "kernels/requant.h"


static bool is_scalar_const(const qi_graph *g, int t) {
  return t >= 0 && (g->tensors[t].flags & QI_TF_CONST) && g->tensors[t].dtype == QINFER_DTYPE_FLOAT &&
         qi_tensor_numel(&g->tensors[t]) == 1;
}

bool qi_region_evaluable(const qi_graph *cg, const qi_node *n) {
  qi_graph *g = (qi_graph *)cg; /* qi_math_unary_describe only reads n's constant inputs */
  if (n->dead || n->domain[0] || n->n_outputs != 1) return false;
  const unsigned flags = qi_node_op_flags(n);
  if (!(flags & QI_OPF_ELEMENTWISE)) return false;
  qi_math_binary_op bop;
  if (qi_math_binary_describe(n, &bop)) return n->n_inputs == 2;
  for (int k = 1; k < n->n_inputs; k++) /* Clip's bounds */
    if (n->inputs[k] >= 0 && !is_scalar_const(g, n->inputs[k])) return false;
  qi_vunary_op op;
  qi_f32_unary_params p;
  return qi_math_unary_describe(g, n, &op, &p) || (flags & QI_OPF_VALUE_PRESERVING); /* the latter: Identity */
}

static float binary(qi_math_binary_op op, float a, float b) {
  switch (op) {
    case QI_MATH_ADD: return a + b;
    case QI_MATH_SUB: return a - b;
    case QI_MATH_MUL: return a * b;
    case QI_MATH_DIV: return a / b;
    case QI_MATH_MAX: return a > b ? a : b;
    case QI_MATH_MIN: return a < b ? a : b;
    case QI_MATH_POW: return powf(a, b);
    default: return NAN; /* Mod, PRelu: not flagged elementwise */
  }
}

static float value_of(const qi_graph *g, const int *ids, const float *vals, int t) {
  if (is_scalar_const(g, t)) return *(const float *)g->tensors[t].data;
  for (int i = 0; ids[i] >= 0; i++)
    if (ids[i] == t) return vals[i];
  return NAN;
}

float qi_region_eval(qi_graph *g, const qi_region *r, int y, float xv) {
  int ids[QI_REGION_MAX + 2];
  float vals[QI_REGION_MAX + 1];
  int n_ids = 0;
  ids[n_ids] = r->x;
  vals[n_ids++] = xv;
  for (int i = 0; i < r->n; i++) {
    const qi_node *n = &g->nodes[r->nodes[i]];
    ids[n_ids] = -1;
    const float a = value_of(g, ids, vals, n->inputs[0]);
    float out = a; /* Identity */
    qi_math_binary_op bop;
    qi_vunary_op op;
    qi_f32_unary_params p;
    if (qi_math_binary_describe(n, &bop))
      out = binary(bop, a, value_of(g, ids, vals, n->inputs[1]));
    else if (qi_math_unary_describe(g, n, &op, &p))
      qi_f32_vunary_config_get(op, QI_ISA_SCALAR)->ukernel(1, &a, &out, &p);
    ids[n_ids] = n->outputs[0];
    vals[n_ids++] = out;
  }
  ids[n_ids] = -1;
  return value_of(g, ids, vals, y);
}

/* Whether every reader of tensor t is a node of the region's first `count` nodes. */
static bool read_only_inside(const qi_graph *g, const qi_region *r, int count, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return false;
  qi_reader_iter it;
  for (int rd = qi_readers_first(g, t, &it); rd >= 0; rd = qi_readers_next(g, &it)) {
    bool inside = false;
    for (int k = 0; k < count && !inside; k++) inside = r->nodes[k] == rd;
    if (!inside) return false;
  }
  return true;
}

static bool in_region(const qi_graph *g, const qi_region *r, int t) {
  if (t == r->x) return true;
  for (int i = 0; i < r->n; i++)
    if (g->nodes[r->nodes[i]].outputs[0] == t) return true;
  return false;
}

/* Whether node n, coming after every region node it reads, joins region r: evaluable, fed by a region tensor,
 * its other inputs scalar constants, its output float with x's element count. */
static bool joins(const qi_graph *g, const qi_region *r, const qi_node *n) {
  if (!qi_region_evaluable(g, n)) return false;
  bool fed = false;
  for (int k = 0; k < n->n_inputs; k++) {
    const int t = n->inputs[k];
    if (t < 0) continue;
    if (in_region(g, r, t)) fed = true;
    else if (!is_scalar_const(g, t)) return false;
  }
  const int out = n->outputs[0];
  return fed && out >= 0 && g->tensors[out].dtype == QINFER_DTYPE_FLOAT &&
         qi_tensor_numel(&g->tensors[out]) == qi_tensor_numel(&g->tensors[r->x]);
}

/* The readers of t placed after order position `after`, added to the candidates cand[0..*n) (no repeats). */
static bool add_candidates(const qi_graph *g, int t, int after, int **cand, int *n, int *cap) {
  qi_reader_iter it;
  for (int rd = qi_readers_first(g, t, &it); rd >= 0; rd = qi_readers_next(g, &it)) {
    if (qi_graph_order_position(g, rd) <= after) continue;
    bool seen = false;
    for (int i = 0; i < *n && !seen; i++) seen = (*cand)[i] == rd;
    if (seen) continue;
    if (*n == *cap) {
      int *p = realloc(*cand, sizeof(int) * (size_t)(*cap = *cap ? 2 * *cap : 16));
      if (!p) return false;
      *cand = p;
    }
    (*cand)[(*n)++] = rd;
  }
  return true;
}

void qi_region_collect(qi_graph *g, int pos, int x, qi_region *r) {
  r->n = 0;
  r->x = r->y = x;
  if (!g->index) { /* no reader index (a one-off caller): the nodes after pos, in order */
    for (int oi = pos + 1; oi < g->n_order && r->n < QI_REGION_MAX; oi++)
      if (joins(g, r, &g->nodes[g->order[oi]])) r->nodes[r->n++] = g->order[oi];
    return;
  }
  /* With the index, only the readers of region tensors are candidates, taken in order position: a node is
   * judged after every region node before it, as the scan above judges it. */
  int *cand = NULL, n_cand = 0, cap = 0;
  bool ok = add_candidates(g, x, pos, &cand, &n_cand, &cap);
  while (ok && n_cand && r->n < QI_REGION_MAX) {
    int best = 0;
    for (int i = 1; i < n_cand; i++)
      if (qi_graph_order_position(g, cand[i]) < qi_graph_order_position(g, cand[best])) best = i;
    const int ni = cand[best];
    cand[best] = cand[--n_cand];
    if (!joins(g, r, &g->nodes[ni])) continue;
    r->nodes[r->n++] = ni;
    ok = add_candidates(g, g->nodes[ni].outputs[0], qi_graph_order_position(g, ni), &cand, &n_cand, &cap);
  }
  if (!ok) r->n = 0; /* out of memory: no region (the pattern stays unfused, still right) */
  free(cand);
}

/* The region after the DequantizeLinear at order position `pos` (qi_region_collect), cut to the longest prefix
 * that ends in a tensor read only by a QuantizeLinear (the exit) with every other region tensor read only inside
 * the prefix. */
static bool find_region(qi_graph *g, int pos, int x, qi_region *r, int *q_node) {
  qi_region_collect(g, pos, x, r);
  for (int count = r->n; count > 0; count--) {
    const int y = g->nodes[r->nodes[count - 1]].outputs[0];
    const int q = qi_qdq_q_after(g, y);
    if (q < 0) continue;
    bool closed = true;
    for (int k = 0; k < count - 1 && closed; k++) closed = read_only_inside(g, r, count, g->nodes[r->nodes[k]].outputs[0]);
    if (!closed) continue;
    r->n = count;
    r->y = y;
    *q_node = q;
    return true;
  }
  /* no op between: DQ -> Q with other parameters, a pure requantization */
  r->n = 0;
  r->y = x;
  *q_node = qi_qdq_q_after(g, x);
  return *q_node >= 0;
}

bool qi_qdq_fuse_region(qi_graph *g, int pos, qi_status *st, qi_error *err) {
  const int di = g->order[pos];
  const qi_node *d = &g->nodes[di];
  qi_dq_ref xr;
  if (d->dead || d->n_outputs != 1 || !qi_qdq_dq_of(g, d->outputs[0], true, 0, &xr) ||
      (g->tensors[xr.q].flags & QI_TF_CONST))
    return false;
  qi_region r;
  int qi;
  if (!find_region(g, pos, d->outputs[0], &r, &qi)) return false;
  const qi_node *q = &g->nodes[qi];
  const int yq = q->outputs[0];
  const int out_dtype = g->tensors[yq].dtype, in_dtype = g->tensors[xr.q].dtype;
  int32_t qmin, qmax;
  qmin = out_dtype == QINFER_DTYPE_INT8 ? -128 : 0;
  qmax = out_dtype == QINFER_DTYPE_INT8 ? 127 : 255;
  const float xs = *(const float *)g->tensors[xr.scale].data, ys = *(const float *)g->tensors[q->inputs[1]].data;
  const int32_t xz = qi_qdq_zp_value(g, xr.zp), yz = qi_qdq_zp_value(g, q->n_inputs > 2 ? q->inputs[2] : -1);
  uint8_t table[256];
  for (int b = 0; b < 256; b++) {
    const int32_t v = in_dtype == QINFER_DTYPE_INT8 ? (int32_t)(int8_t)b : b;
    const float f = qi_region_eval(g, &r, r.y, (float)(v - xz) * xs);
    table[b] = (uint8_t)qi_quantize_f32(f, ys, yz, qmin, qmax);
  }
  char name[600];
  snprintf(name, sizeof name, "%s/table", g->tensors[yq].name);
  const int tt = qi_graph_add_tensor(g, name);
  const int64_t dims[1] = {256};
  if (tt < 0 || qi_tensor_set_const_copy(&g->tensors[tt], out_dtype, 1, dims, table, err) != QINFER_OK) {
    *st = err->code ? err->code : QINFER_ERR_OUT_OF_MEMORY;
    return false;
  }
  qi_qdq_fusion f = {.op = r.n ? r.nodes[0] : di, .act = -1, .q = qi}; /* empty region: the DQ goes */
  for (int i = 1; i < r.n && f.n_dead < (int)(sizeof f.dead / sizeof f.dead[0]); i++) f.dead[f.n_dead++] = r.nodes[i];
  if (f.n_dead < r.n - 1) return false;
  const int ins[2] = {xr.q, tt};
  return qi_qdq_emit(g, &f, "QLinearTable", "ai.qinfer", ins, 2, -1, st, err);
}
