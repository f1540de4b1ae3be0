/* Which tensors the quantizer quantizes.
 *
 * Nodes fall in four kinds, by their op's flags (engine/op.h), the same the QDQ pass fuses by:
 *   compute  QI_OPF_QUANT_LINEAR (Conv, Gemm, MatMul): float activation inputs and the output quantized, weights
 *            as int8;
 *   join     QI_OPF_QUANT_JOIN (Add, Mul, Concat): every input and the output quantized, each with its own
 *            calibrated range (the integer op rescales each input to the output's scale);
 *   pool     QI_OPF_QUANT_POOL (AveragePool, GlobalAveragePool): input and output quantized;
 *   pass     QI_OPF_VALUE_PRESERVING (MaxPool, Reshape, Flatten, Transpose, Slice, Gather, Expand, Tile, ...):
 *            output quantized with the input's parameters when the input is quantized, so they run unchanged on
 *            the integer tensor (qi_qdq_passthrough_op: the nodes the QDQ pass runs on it).
 * Elementwise functions of one tensor (QI_OPF_ELEMENTWISE: Sigmoid, HardSwish, Relu6, x * Clip(x + 3, 0, 6) / 6,
 * Mul / Add by a scalar constant, ...) get no quantization point of their own: whatever chain of them lies between
 * two quantized tensors becomes one 256-entry lookup table in the integer runtime (engine/pass_qdq_region.c),
 * which is both faster and more accurate than requantizing after every step.
 * Everything else (Softmax, LayerNormalization, Resize, ...) stays float and reads dequantized inputs.
 * A Relu or Clip that is the only reader of a compute / join output is absorbed: the quantized tensor is the
 * activation's output (its range starts at the clamp), and the integer op clamps exactly. */
#include <stdlib.h>
#include <string.h>

#include "engine/pass_qdq.h"
#include "engine/quant/quantize.h"

enum { KIND_FLOAT, KIND_COMPUTE, KIND_JOIN, KIND_POOL, KIND_PASS };

static bool is_float_act(const qi_graph *g, int t) {
  return t >= 0 && g->tensors[t].dtype == QINFER_DTYPE_FLOAT && !(g->tensors[t].flags & QI_TF_CONST);
}

static bool is_const_float(const qi_graph *g, int t) {
  return t >= 0 && g->tensors[t].dtype == QINFER_DTYPE_FLOAT && (g->tensors[t].flags & QI_TF_CONST);
}

bool qz_node_named(const qi_graph *g, const qi_node *n, const char *const *names, int count) {
  for (int i = 0; i < count; i++) {
    if (n->name && strcmp(n->name, names[i]) == 0) return true;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && strcmp(g->tensors[n->outputs[k]].name, names[i]) == 0) return true;
  }
  return false;
}

int qz_tensor_act_dtype(const qz_options *o, const char *name) {
  for (int i = 0; i < o->n_a16; i++)
    if (strcmp(o->a16[i], name) == 0)
      return o->act_dtype == QINFER_DTYPE_INT8 || o->act_dtype == QINFER_DTYPE_INT16 ? QINFER_DTYPE_INT16
                                                                                      : QINFER_DTYPE_UINT16;
  return o->act_dtype;
}

bool qz_any_act16(const qz_options *o) {
  return o->n_a16 > 0 || o->act_dtype == QINFER_DTYPE_INT16 || o->act_dtype == QINFER_DTYPE_UINT16;
}

bool qz_node_excluded(const qi_graph *g, const qi_node *n, const qz_options *o) {
  return qz_node_named(g, n, o->exclude, o->n_exclude);
}

static bool is_scalar_const(const qi_graph *g, int t) {
  return is_const_float(g, t) && qi_tensor_numel(&g->tensors[t]) == 1;
}

/* The tensor t is an elementwise function of (through elementwise ops with scalar constants), or -1 when it
 * depends on two different tensors. Such functions become lookup tables. */
static int root_of(const qi_graph *g, int t, int depth) {
  const int p = g->tensors[t].producer;
  if (p < 0 || depth > 64) return t;
  const qi_node *n = &g->nodes[p];
  if (!qi_region_evaluable(g, n)) return t;
  int root = -2;
  for (int k = 0; k < n->n_inputs; k++) {
    const int in = n->inputs[k];
    if (in < 0 || is_scalar_const(g, in)) continue;
    if (g->tensors[in].flags & QI_TF_CONST) return t; /* a tensor constant: not a function of one value */
    const int r = root_of(g, in, depth + 1);
    if (r < 0 || (root >= 0 && r != root)) return root >= 0 && r >= 0 ? -1 : r;
    root = r;
  }
  return root >= 0 ? root : t;
}

static int kind_of(const qi_graph *g, const qi_node *n, const qz_options *o) {
  if (n->dead || n->domain[0] || qz_node_excluded(g, n, o)) return KIND_FLOAT;
  const char *t = n->op_type;
  const unsigned flags = qi_node_op_flags(n);
  const int in0 = n->n_inputs > 0 ? n->inputs[0] : -1, in1 = n->n_inputs > 1 ? n->inputs[1] : -1;
  /* Add / Mul: the activation may come second (Add(bias, x)) */
  const bool binary_join = (flags & QI_OPF_QUANT_JOIN) && (flags & QI_OPF_ELEMENTWISE);
  if (!(is_float_act(g, in0) || (binary_join && is_float_act(g, in1))) || n->n_outputs < 1 ||
      g->tensors[n->outputs[0]].dtype != QINFER_DTYPE_FLOAT)
    return KIND_FLOAT;
  if (flags & QI_OPF_QUANT_LINEAR) {
    if (!strcmp(t, "Conv")) {
      const int spatial = g->tensors[in0].rank - 2;
      return (spatial == 1 || spatial == 2) && is_const_float(g, in1) ? KIND_COMPUTE : KIND_FLOAT;
    }
    if (!strcmp(t, "Gemm")) return is_const_float(g, in1) && g->tensors[in1].rank == 2 ? KIND_COMPUTE : KIND_FLOAT;
    return is_const_float(g, in1) || is_float_act(g, in1) ? KIND_COMPUTE : KIND_FLOAT; /* MatMul */
  }
  if (binary_join) {
    if (n->n_inputs != 2) return KIND_FLOAT;
    const int c = is_const_float(g, in0) ? in0 : (is_const_float(g, in1) ? in1 : -1);
    if (c >= 0 && qi_tensor_numel(&g->tensors[c]) == 1) return KIND_FLOAT; /* part of a lookup table */
    if (c < 0 && is_float_act(g, in0) && is_float_act(g, in1)) { /* x * f(x), as in a written-out HardSwish */
      const int r0 = root_of(g, in0, 0), r1 = root_of(g, in1, 0);
      if (r0 >= 0 && r0 == r1) return KIND_FLOAT;
    }
    return c >= 0 || is_float_act(g, in1) ? KIND_JOIN : KIND_FLOAT;
  }
  if (flags & QI_OPF_QUANT_JOIN) { /* Concat */
    for (int k = 0; k < n->n_inputs; k++)
      if (!is_float_act(g, n->inputs[k])) return KIND_FLOAT;
    return KIND_JOIN;
  }
  if (flags & QI_OPF_QUANT_POOL) {
    if (!strcmp(t, "AveragePool") && g->tensors[in0].rank != 4) return KIND_FLOAT;
    return KIND_POOL;
  }
  if (qi_qdq_passthrough_op(g, n)) return KIND_PASS;
  return KIND_FLOAT;
}

/* The live node reading t when it is the only reader (and t is no graph output), else -1. */
static int sole_reader(const qi_graph *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return -1;
  int found = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    for (int k = 0; !n->dead && k < n->n_inputs; k++)
      if (n->inputs[k] == t) {
        if (found >= 0 && found != i) return -1;
        found = i;
      }
  }
  return found;
}

/* A Relu or Clip the QDQ pass absorbs into the integer op before it (qi_pass_activation_of: a clamp). */
static bool is_clamp(const qi_graph *g, const qi_node *a) {
  qi_act act;
  return !a->dead && qi_pass_activation_of(g, a, &act) && act.kind == QI_ACT_CLAMP;
}

/* The tensor that carries a compute / join node's quantized output: its own, or an absorbed Relu / Clip's. */
static int effective_output(const qi_graph *g, const qi_node *n) {
  const int y = n->outputs[0];
  const int r = sole_reader(g, y);
  if (r >= 0 && is_clamp(g, &g->nodes[r]) && g->nodes[r].inputs[0] == y) return g->nodes[r].outputs[0];
  return y;
}

qi_status qz_plan_make(const qi_graph *g, const qz_options *o, qz_plan *p, qi_error *err) {
  memset(p, 0, sizeof *p);
  p->n_tensors = g->n_tensors;
  p->quantize = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  p->share = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  if (!p->quantize || !p->share) {
    qz_plan_free(p);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  for (int t = 0; t < g->n_tensors; t++) p->share[t] = -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (!n->dead && (qi_node_op_flags(n) & QI_OPF_QUANTIZED))
      return qi_node_fail(err, QINFER_ERR_INVALID_ARGUMENT, n, "the model is already quantized");
  }
  /* compute, join and table nodes: their float activation inputs and their (effective) outputs */
  for (int oi = 0; oi < g->n_order; oi++) {
    const qi_node *n = &g->nodes[g->order[oi]];
    const int kind = kind_of(g, n, o);
    if (kind == KIND_FLOAT || kind == KIND_PASS) continue;
    const int data_inputs = kind == KIND_COMPUTE && strcmp(n->op_type, "MatMul") != 0 ? 1 : n->n_inputs;
    for (int k = 0; k < data_inputs; k++)
      if (is_float_act(g, n->inputs[k])) p->quantize[n->inputs[k]] = true;
    p->quantize[kind == KIND_POOL ? n->outputs[0] : effective_output(g, n)] = true;
    p->n_quantized_nodes++;
  }
  /* value-preserving ops after a quantized tensor keep its parameters */
  for (int oi = 0; oi < g->n_order; oi++) {
    const qi_node *n = &g->nodes[g->order[oi]];
    if (kind_of(g, n, o) != KIND_PASS || !p->quantize[n->inputs[0]]) continue;
    const int x = n->inputs[0], y = n->outputs[0];
    p->quantize[y] = true;
    p->share[y] = p->share[x] >= 0 ? p->share[x] : x;
    p->n_quantized_nodes++;
  }
  /* --exclude: the node's activations stay float on both sides, whatever its neighbours would like (a tensor
   * whose values quantize badly is kept in float by excluding the nodes around it) */
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead || !qz_node_excluded(g, n, o)) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && is_float_act(g, n->inputs[k])) p->quantize[n->inputs[k]] = false;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0) p->quantize[n->outputs[k]] = false;
  }
  for (int t = 0; t < g->n_tensors; t++) /* a tensor sharing an unquantized tensor's parameters calibrates itself */
    if (p->share[t] >= 0 && !p->quantize[p->share[t]]) p->share[t] = -1;
  return QINFER_OK;
}

void qz_plan_free(qz_plan *p) {
  free(p->quantize);
  free(p->share);
  memset(p, 0, sizeof *p);
}
