/* Weight-only int4 (W4A32): DequantizeLinear(constant int4 / uint4 weight) -> MatMul (as B) or Gemm (as B, transA
 * 0, alpha 1, C a constant of 1 or N values) with float activations becomes one MatMulQB4W node
 * (engine/ops/nn_matmul_qb4w.c), and -> Conv (as W, group 1, constant bias) one ConvQB4W node
 * (engine/ops/nn_conv_qb4w.c; its weight may also be DQ(flat [M, K]) -> Reshape, engine/pass_conv_flat_weight.c),
 * on the W4A32 kernels, which pack the 4-bit weight themselves: the DequantizeLinear
 * then has no reader left and is removed before the late folding would have made float weights of it. Runs after
 * the QDQ pass, so a pattern with quantized activations (W4A8) has been taken by it first. A weight layout the
 * kernels cannot take (a block that is not a multiple of 16, per-axis scales along K) is refused by MatMulQB4W's
 * infer and stays as it was: its DequantizeLinear is folded to float weights (the reference path). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/pass_qdq.h"
#include "engine/session.h"

static bool is_op(const qi_node *n, const char *type) { return !n->dead && !n->domain[0] && strcmp(n->op_type, type) == 0; }
static bool is_const(const qi_graph *g, int t) { return t >= 0 && (g->tensors[t].flags & QI_TF_CONST); }
static int input_of(const qi_node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }

/* The DequantizeLinear making tensor t from a constant 4-bit weight with constant parameters, or -1. */
static int dq4_of(const qi_graph *g, int t) {
  const int p = t >= 0 ? g->tensors[t].producer : -1;
  if (p < 0) return -1;
  const qi_node *d = &g->nodes[p];
  if (!is_op(d, "DequantizeLinear") || d->n_outputs != 1) return -1;
  const int q = input_of(d, 0), s = input_of(d, 1), z = input_of(d, 2);
  if (!is_const(g, q) || !qi_dtype_is_4bit(g->tensors[q].dtype) || !is_const(g, s) || (z >= 0 && !is_const(g, z)))
    return -1;
  return p;
}

static bool add_int(qi_graph *g, int node, const char *name, int64_t v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_INT);
  if (a) a->i = v;
  return a != NULL;
}

static bool conv_attr_kind(qi_attr_type t) { return t == QI_ATTR_INT || t == QI_ATTR_INTS || t == QI_ATTR_STRING; }

/* Conv's window attributes onto the new node (ints, int lists, auto_pad: conv_attr_kind); false when out of
 * memory. */
static bool copy_conv_attrs(qi_graph *g, int dst, int src) {
  for (int i = 0; i < g->nodes[src].n_attrs; i++) {
    const qi_attr from = g->nodes[src].attrs[i];
    qi_attr *a = qi_node_add_attr(g, dst, from.name, from.type);
    if (!a) return false;
    a->i = from.i;
    if (from.type == QI_ATTR_STRING && !(a->s = qi_str_dup(from.s))) return false;
    a->s_len = from.s_len;
    if (from.type == QI_ATTR_INTS) {
      if (!(a->ints = malloc(sizeof(int64_t) * (size_t)(from.n ? from.n : 1)))) return false;
      if (from.n) memcpy(a->ints, from.ints, sizeof(int64_t) * (size_t)from.n);
      a->n = from.n;
    }
  }
  return true;
}

/* Node oi (MatMul / Gemm / Conv) with a 4-bit DequantizeLinear weight -> MatMulQB4W / ConvQB4W; false when it
 * does not apply. */
static bool fuse_one(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  const qi_node *n = &g->nodes[oi];
  const bool gemm = is_op(n, "Gemm"), conv = is_op(n, "Conv");
  if (!(gemm || conv || is_op(n, "MatMul")) || n->n_outputs != 1 || n->outputs[0] < 0) return false;
  int d = dq4_of(g, input_of(n, 1));
  if (d < 0 && conv) { /* a flat [M, K] weight -> Reshape */
    d = dq4_of(g, qi_conv_flat_weight(g, oi, input_of(n, 1), st, err));
    n = &g->nodes[oi];
  }
  if (d < 0 || (!conv && g->tensors[g->nodes[d].inputs[0]].rank != 2)) return false;
  if (gemm && (qi_attr_int(n, "transA", 0) != 0 || qi_attr_float(n, "alpha", 1.0f) != 1.0f))
    return false;
  for (int i = 0; conv && i < n->n_attrs; i++)
    if (!conv_attr_kind(n->attrs[i].type)) return false;
  const qi_node *dq = &g->nodes[d];
  const int bias = gemm || conv ? input_of(n, 2) : -1;
  if (bias >= 0 && !is_const(g, bias)) return false;
  const int ins[5] = {input_of(n, 0), dq->inputs[0], dq->inputs[1], input_of(dq, 2), bias};
  const int y = n->outputs[0];
  const char *type = conv ? "ConvQB4W" : "MatMulQB4W";
  const int ni = qi_graph_add_node(g, type, "ai.qinfer", ins, 5, &y, 1);
  if (ni < 0) return (*st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory")), false;
  qi_node *f = &g->nodes[ni];
  f->dead = true; /* until its infer takes it: the old node still makes y */
  f->op = qi_op_find("ai.qinfer", type);
  f->opset = 1;
  free(f->name);
  bool ok = (f->name = qi_str_dup(g->nodes[oi].name)) != NULL &&
            add_int(g, ni, "axis", qi_attr_int(&g->nodes[d], "axis", 1)) &&
            add_int(g, ni, "block_size", qi_attr_int(&g->nodes[d], "block_size", 0));
  if (conv) {
    ok = ok && copy_conv_attrs(g, ni, oi);
  } else {
    ok = ok && add_int(g, ni, "trans_b", gemm ? qi_attr_int(&g->nodes[oi], "transB", 0) : 0);
    qi_attr *beta = ok ? qi_node_add_attr(g, ni, "beta", QI_ATTR_FLOAT) : NULL;
    if (beta) beta->f = gemm ? qi_attr_float(&g->nodes[oi], "beta", 1.0f) : 1.0f;
    ok = beta != NULL;
  }
  if (!ok) return (*st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory")), false;
  f = &g->nodes[ni];
  const qi_tensor saved = g->tensors[y];
  qi_error probe = {0};
  if (!f->op || f->op->infer(g, f, &probe) != QINFER_OK) {
    if (getenv("QI_DEBUG_QDQ")) fprintf(stderr, "qdq-w4: %s not fused: %s\n", g->nodes[oi].name, probe.msg);
    g->tensors[y] = saved;
    return false;
  }
  f->dead = false;
  if (getenv("QI_DEBUG_QDQ")) fprintf(stderr, "qdq-w4: %s -> %s\n", g->nodes[oi].name, type);
  g->nodes[oi].dead = true;
  g->tensors[y].producer = ni;
  return true;
}

qi_status qi_fuse_w4a32(qi_graph *g, qi_error *err) {
  QI_CHECK(qi_graph_link(g, err));
  bool any = false;
  const int n_order = g->n_order;
  for (int oi = 0; oi < n_order; oi++) {
    qi_status st = QINFER_OK;
    any |= fuse_one(g, g->order[oi], &st, err);
    if (st != QINFER_OK) return st;
  }
  if (!any) return QINFER_OK;
  QI_CHECK(qi_graph_toposort(g, err)); /* the new nodes join the order; the DequantizeLinears lose their reader */
  return qi_remove_dead_nodes(g, err);
}
