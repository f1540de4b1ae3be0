/* ONNX Runtime's dynamic quantization (quantize_dynamic) onto the integer gemm: the chain
 *
 *     x -> DynamicQuantizeLinear -> (xq, xs, xz)
 *     (xq, w, xz, w_zp) -> ConvInteger / MatMulInteger -> Cast(to float) -> Mul(., xs * w_scale) [-> Add bias]
 *                                                               xs, w_scale -> Mul --^
 *
 * becomes one node reading x and writing the chain's float output: ai.qinfer DynamicQuantizeConv (with the
 * ConvInteger's attributes) or com.microsoft DynamicQuantizeMatMul (engine/ops/quant_dynamic.c), which quantize x
 * per run exactly as DynamicQuantizeLinear does and compute the same float values in the same order
 * ((float)acc * (xs * w_scale[c]) + bias[c]). Conditions: constant weights, scale and zero point; the int32 and
 * the Cast output read only by the next link; the scale and the bias constant per output channel (ConvInteger:
 * axis 1; MatMulInteger: the last axis), as broadcasting leaves them; the x zero point is the
 * DynamicQuantizeLinear's. What does not fit stays as it is (and runs correctly, unfused). */
#include <stdio.h>
#include <string.h>

#include "engine/pass_qdq.h"

static bool is_op(const qi_graph *g, int ni, const char *type) {
  return ni >= 0 && !g->nodes[ni].dead && !g->nodes[ni].domain[0] && strcmp(g->nodes[ni].op_type, type) == 0;
}

static bool is_const(const qi_graph *g, int t) { return t >= 0 && (g->tensors[t].flags & QI_TF_CONST); }

static int input_of(const qi_node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }

/* The sole live reader of t if it is a `type` node with t among its inputs, else -1. */
static int next_link(const qi_graph *g, int t, const char *type) {
  const int c = qi_graph_sole_reader(g, t);
  return is_op(g, c, type) ? c : -1;
}

/* Whether float constant-shaped tensor p (shape only) broadcast against an output of y_rank dims y_dims leaves the
 * output's shape and varies at most along axis `axis` (length C = y_dims[axis]). */
static bool per_channel_shape(const qi_tensor *p, int y_rank, const int64_t *y_dims, int axis) {
  if (p->rank > y_rank) return false;
  for (int a = 0; a < p->rank; a++) {
    const int o = a + y_rank - p->rank;
    if (p->dims[a] != 1 && !(o == axis && p->dims[a] == y_dims[axis])) return false;
  }
  return true;
}

/* A constant float vector of C values from constant t (1 or C values), named after t and C (a scale shared by
 * chains of several channel counts gets one vector per count). */
static int channel_vector(qi_graph *g, int t, int64_t c, qi_error *err) {
  char name[600];
  snprintf(name, sizeof name, "%s/channels_%lld", g->tensors[t].name, (long long)c);
  int v = qi_graph_find_tensor(g, name);
  if (v >= 0) return v;
  if ((v = qi_graph_add_tensor(g, name)) < 0) {
    qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  const int64_t dims[1] = {c};
  qi_tensor_set_shape(&g->tensors[v], QINFER_DTYPE_FLOAT, 1, dims);
  if (qi_tensor_alloc_const(&g->tensors[v], err) != QINFER_OK) return -1;
  const qi_tensor *src = &g->tensors[t];
  const int64_t n = qi_tensor_numel(src);
  for (int64_t i = 0; i < c; i++) ((float *)g->tensors[v].data)[i] = ((const float *)src->data)[n == 1 ? 0 : i];
  return v;
}

bool qi_qdq_fuse_dynamic(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  const qi_node *n = &g->nodes[oi];
  const bool conv = strcmp(n->op_type, "ConvInteger") == 0;
  if (n->dead || n->domain[0] || (!conv && strcmp(n->op_type, "MatMulInteger") != 0) || n->n_outputs != 1) return false;
  const int xq = input_of(n, 0), w = input_of(n, 1), xz = input_of(n, 2), wz = input_of(n, 3);
  const int d = xq >= 0 ? g->tensors[xq].producer : -1;
  if (!is_op(g, d, "DynamicQuantizeLinear") || g->nodes[d].n_outputs < 3 || g->nodes[d].outputs[0] != xq ||
      xz < 0 || g->nodes[d].outputs[2] != xz || !is_const(g, w) || (wz >= 0 && !is_const(g, wz)))
    return false;
  const int x = g->nodes[d].inputs[0], xs = g->nodes[d].outputs[1];
  /* Cast(to float) -> Mul by (xs * w_scale) */
  const int cast = next_link(g, n->outputs[0], "Cast");
  if (cast < 0 || qi_attr_int(&g->nodes[cast], "to", 0) != QINFER_DTYPE_FLOAT) return false;
  const int cf = g->nodes[cast].outputs[0];
  const int mul = next_link(g, cf, "Mul");
  if (mul < 0 || g->nodes[mul].n_inputs != 2) return false;
  const int sp = g->nodes[mul].inputs[g->nodes[mul].inputs[0] == cf ? 1 : 0];
  const int sm = sp >= 0 ? g->tensors[sp].producer : -1;
  if (!is_op(g, sm, "Mul") || g->nodes[sm].n_inputs != 2) return false;
  const int ws = g->nodes[sm].inputs[g->nodes[sm].inputs[0] == xs ? 1 : 0];
  if ((g->nodes[sm].inputs[0] != xs && g->nodes[sm].inputs[1] != xs) || !is_const(g, ws) ||
      g->tensors[ws].dtype != QINFER_DTYPE_FLOAT)
    return false;
  const qi_tensor *ct = &g->tensors[cf], *wt = &g->tensors[w];
  const int axis = conv ? 1 : ct->rank - 1;
  if (axis < 0 || axis >= ct->rank || wt->rank < 2) return false;
  const int64_t channels = ct->dims[axis];
  if (channels != (conv ? wt->dims[0] : wt->dims[1]) || !per_channel_shape(&g->tensors[ws], ct->rank, ct->dims, axis))
    return false;
  /* [-> Add of a per-channel constant] */
  qi_qdq_fusion f = {.op = oi, .act = -1, .q = mul, .dead = {cast}, .n_dead = 1};
  int y = g->nodes[mul].outputs[0], bias = -1;
  const int add = next_link(g, y, "Add");
  if (add >= 0 && g->nodes[add].n_inputs == 2) {
    const int b = g->nodes[add].inputs[g->nodes[add].inputs[0] == y ? 1 : 0];
    if (is_const(g, b) && g->tensors[b].dtype == QINFER_DTYPE_FLOAT &&
        per_channel_shape(&g->tensors[b], ct->rank, ct->dims, axis)) {
      if ((bias = channel_vector(g, b, channels, err)) < 0) return (*st = QINFER_ERR_OUT_OF_MEMORY), false;
      f.dead[f.n_dead++] = mul;
      f.q = add;
    }
  }
  const int scale = channel_vector(g, ws, channels, err);
  if (scale < 0) return (*st = QINFER_ERR_OUT_OF_MEMORY), false;
  const int ins[5] = {x, w, scale, wz, bias};
  return conv ? qi_qdq_emit(g, &f, "DynamicQuantizeConv", "ai.qinfer", ins, 5, oi, st, err)
              : qi_qdq_emit(g, &f, "DynamicQuantizeMatMul", "com.microsoft", ins, 5, -1, st, err);
}
