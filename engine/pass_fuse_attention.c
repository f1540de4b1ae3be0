/* Attention fusion, run after shape inference, folding and the QDQ pass (float graphs only: a quantized
 * attention keeps its QuantizeLinear / DequantizeLinear nodes between these ops and is not matched):
 *
 *   Q ─[Transpose]─[Mul/Div by a scalar]─┐
 *                                        MatMul ─[Mul/Div by a scalar]─ Softmax(last axis) ─ MatMul ─[Transpose]─ Y
 *   K ─[Transpose]─[Mul/Div by a scalar]─┘                                                  │
 *   V ─[Transpose]──────────────────────────────────────────────────────────────────────────┘
 *
 * becomes one FusedAttention node (engine/ops/nn_attention_fused.c) reading Q, K and V before their Transposes
 * (folded into its perm_* attributes) with the product of the scalars as its scale: the torch / torchvision
 * export of multi-head attention (the ViT of the zoo: Q already divided by sqrt(head size), K transposed by
 * perm [1, 2, 0] out of a [tokens, heads, head size] tensor). Only the same computation is fused:
 *   - every tensor float; the two MatMuls of one rank r in 2..4 with equal leading dims (no broadcast);
 *   - a scale operand a float constant with one element whose broadcast leaves the other operand's shape;
 *   - the Softmax over the last axis (opset < 13: axis r - 1, where the 2-D coercion is the same thing);
 *   - the scores, the scaled scores and the probabilities each read by the next node alone (not graph
 *     outputs): a tensor something else reads stays computed, so nothing is fused then;
 *   - a Transpose before V or after the product only when it keeps the last (feature) axis in place.
 * Transposes and scalings of Q, K and V that other nodes read stay for them; otherwise dead-node removal drops
 * them. Runs only where activation fusion does: the quantizer's calibration sessions keep every tensor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir/graph_index.h"
#include "engine/ops/nn_ops.h"
#include "engine/session.h"

static bool is_op(const qi_node *n, const char *type) { return !n->dead && !n->domain[0] && !strcmp(n->op_type, type); }

static const qi_node *producer_of(const qi_graph *g, int t) {
  return t >= 0 && g->tensors[t].producer >= 0 ? &g->nodes[g->tensors[t].producer] : NULL;
}

static bool is_float(const qi_graph *g, int t) {
  return t >= 0 && g->tensors[t].dtype == QINFER_DTYPE_FLOAT && g->tensors[t].rank >= 0;
}

static bool same_shape(const qi_tensor *a, const qi_tensor *b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

/* n is Mul or Div by a one-element float constant that leaves the other operand's shape: that operand's index
 * into *x and the factor into *scale (1 / c for a Div by c). Div only with the constant as the divisor. */
static bool scalar_scaling(const qi_graph *g, const qi_node *n, int *x, double *scale) {
  const bool mul = is_op(n, "Mul"), div = is_op(n, "Div");
  if ((!mul && !div) || n->n_inputs != 2 || n->n_outputs != 1 || !is_float(g, n->outputs[0])) return false;
  for (int c = div ? 1 : 0; c < 2; c++) {
    const int ct = n->inputs[c], xt = n->inputs[1 - c];
    if (ct < 0 || xt < 0) continue;
    const qi_tensor *k = &g->tensors[ct];
    if (!(k->flags & QI_TF_CONST) || k->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(k) != 1 || !k->data) continue;
    if (!is_float(g, xt) || !same_shape(&g->tensors[xt], &g->tensors[n->outputs[0]])) continue;
    const double v = *(const float *)k->data;
    if (!isfinite(v) || (div && v == 0.0)) return false;
    *x = xt;
    *scale = div ? 1.0 / v : v;
    return true;
  }
  return false;
}

/* The permutation of a Transpose node of rank r (its perm attribute, or the reversal); false when malformed. */
static bool transpose_perm(const qi_graph *g, const qi_node *n, int r, int perm[4]) {
  if (!is_op(n, "Transpose") || n->n_inputs != 1 || !is_float(g, n->inputs[0]) || g->tensors[n->inputs[0]].rank != r)
    return false;
  return qi_nn_read_perm(n, "perm", r, true, perm);
}

/* An operand of the pattern, followed back through Transposes (and scalings, when allowed) to the tensor the
 * fused node will read: logical axis a of the operand is axis perm[a] of *base. */
typedef struct operand {
  int base;
  int perm[4];
  double scale;
} operand;

static operand peel(const qi_graph *g, int t, int r, bool allow_scale, bool keep_last) {
  operand o = {.base = t, .scale = 1.0};
  for (int i = 0; i < r; i++) o.perm[i] = i;
  for (int depth = 0; depth < 8; depth++) {
    const qi_node *p = producer_of(g, o.base);
    if (!p) break;
    int tp[4], x;
    double s;
    if (transpose_perm(g, p, r, tp)) {
      if (keep_last && tp[o.perm[r - 1]] != r - 1) break; /* the feature axis would stop being contiguous */
      int next[4];
      for (int a = 0; a < r; a++) next[a] = tp[o.perm[a]];
      memcpy(o.perm, next, sizeof next);
      o.base = p->inputs[0];
    } else if (allow_scale && scalar_scaling(g, p, &x, &s)) {
      o.scale *= s;
      o.base = x;
    } else {
      break;
    }
  }
  return o;
}

static bool add_perm(qi_graph *g, int node, const char *name, const int *perm, int r) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_INTS);
  if (!a || !(a->ints = malloc((size_t)r * sizeof(int64_t)))) return false;
  a->n = r;
  for (int i = 0; i < r; i++) a->ints[i] = perm[i];
  return true;
}

/* The leading dims of two rank-r tensors agree. */
static bool same_batch(const qi_tensor *a, const qi_tensor *b, int r) {
  for (int i = 0; i < r - 2; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

/* Tries the pattern ending in Softmax node si; adds the fused node and kills the matched ones when it fits. */
static qi_status try_fuse(qi_graph *g, int si, qi_error *err) {
  const qi_node *s = &g->nodes[si];
  if (s->n_inputs != 1 || s->n_outputs != 1 || !is_float(g, s->inputs[0])) return QINFER_OK;
  const int r = g->tensors[s->inputs[0]].rank;
  if (r < 2 || r > 4) return QINFER_OK;
  int64_t axis = qi_attr_int(s, "axis", s->opset < 13 ? 1 : -1);
  if (axis < 0) axis += r;
  if (axis != r - 1 || qi_graph_sole_reader(g, s->inputs[0]) != si) return QINFER_OK;
  /* scores: MatMul, or Mul / Div of it by a scalar */
  double scale = 1.0;
  int killed[6], n_killed = 0;
  const qi_node *m1 = producer_of(g, s->inputs[0]);
  if (!m1) return QINFER_OK;
  int x;
  double f;
  if (scalar_scaling(g, m1, &x, &f)) {
    if (qi_graph_sole_reader(g, x) != m1->index) return QINFER_OK;
    scale *= f;
    killed[n_killed++] = m1->index;
    m1 = producer_of(g, x);
    if (!m1) return QINFER_OK;
  }
  if (!is_op(m1, "MatMul") || m1->n_inputs != 2 || m1->n_outputs != 1) return QINFER_OK;
  killed[n_killed++] = m1->index;
  const int p = s->outputs[0], m2i = qi_graph_sole_reader(g, p);
  if (m2i < 0) return QINFER_OK;
  const qi_node *m2 = &g->nodes[m2i];
  if (!is_op(m2, "MatMul") || m2->n_inputs != 2 || m2->n_outputs != 1 || m2->inputs[0] != p || m2->inputs[1] == p)
    return QINFER_OK;
  const int a = m1->inputs[0], b = m1->inputs[1], v = m2->inputs[1];
  if (!is_float(g, a) || !is_float(g, b) || !is_float(g, v) || !is_float(g, m2->outputs[0])) return QINFER_OK;
  const qi_tensor *ta = &g->tensors[a], *tb = &g->tensors[b], *tv = &g->tensors[v];
  if (ta->rank != r || tb->rank != r || tv->rank != r || !same_batch(ta, tb, r) || !same_batch(ta, tv, r) ||
      ta->dims[r - 1] != tb->dims[r - 2] || tb->dims[r - 1] != tv->dims[r - 2] || ta->dims[r - 1] < 1 ||
      tb->dims[r - 1] < 1)
    return QINFER_OK;
  const operand q = peel(g, a, r, true, false), k = peel(g, b, r, true, false), vv = peel(g, v, r, false, true);
  scale *= q.scale * k.scale;
  if (!isfinite(scale) || !isfinite((float)scale)) return QINFER_OK;
  /* the output, through a Transpose keeping the last axis */
  int y = m2->outputs[0], perm_y[4];
  for (int i = 0; i < r; i++) perm_y[i] = i;
  const int ti = qi_graph_sole_reader(g, y);
  if (ti >= 0 && transpose_perm(g, &g->nodes[ti], r, perm_y) && perm_y[r - 1] == r - 1 &&
      g->nodes[ti].n_outputs == 1 && g->nodes[ti].outputs[0] >= 0) {
    killed[n_killed++] = ti;
    y = g->nodes[ti].outputs[0];
  } else {
    for (int i = 0; i < r; i++) perm_y[i] = i;
  }
  const int ins[3] = {q.base, k.base, vv.base};
  const int ni = qi_graph_add_node(g, "FusedAttention", "ai.qinfer", ins, 3, &y, 1);
  if (ni < 0) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  qi_node *n = &g->nodes[ni];
  n->opset = 1;
  n->op = qi_op_find("ai.qinfer", "FusedAttention");
  char *name = qi_str_dup(g->nodes[m2i].name);
  if (!name) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  free(n->name);
  n->name = name;
  qi_attr *sa = qi_node_add_attr(g, ni, "scale", QI_ATTR_FLOAT); /* set now: the next attribute may move it */
  if (sa) sa->f = (float)scale;
  if (!sa || !add_perm(g, ni, "perm_q", q.perm, r) ||
      !add_perm(g, ni, "perm_k", k.perm, r) || !add_perm(g, ni, "perm_v", vv.perm, r) ||
      !add_perm(g, ni, "perm_y", perm_y, r))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  n = &g->nodes[ni];
  /* The fused node must infer exactly the shape the pattern had; otherwise the pattern stays. */
  qi_tensor *yt = &g->tensors[y];
  const qi_tensor before = *yt;
  qi_error probe;
  if (!n->op || n->op->infer(g, n, &probe) != QINFER_OK || !same_shape(yt, &before) || yt->dtype != before.dtype) {
    *yt = before;
    n->dead = true;
    return QINFER_OK;
  }
  killed[n_killed++] = si, killed[n_killed++] = m2i;
  for (int i = 0; i < n_killed; i++) g->nodes[killed[i]].dead = true;
  yt->producer = ni;
  return QINFER_OK;
}

qi_status qi_fuse_attention(qi_graph *g, qi_error *err) {
  bool any = false;
  for (int i = 0; i < g->n_nodes && !any; i++) any = is_op(&g->nodes[i], "Softmax");
  if (!any) return QINFER_OK;
  QI_CHECK(qi_graph_link(g, err));
  QI_CHECK(qi_graph_index_begin(g, err));
  const int n_nodes = g->n_nodes;
  for (int i = 0; i < n_nodes; i++) {
    if (!is_op(&g->nodes[i], "Softmax")) continue;
    const qi_status st = try_fuse(g, i, err);
    if (st != QINFER_OK) {
      qi_graph_index_end(g);
      return st;
    }
  }
  qi_graph_index_end(g);
  return qi_graph_toposort(g, err);
}
