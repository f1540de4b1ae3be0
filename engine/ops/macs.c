/* Multiply-accumulates of one run, per op (the `macs` member of an op's table row): what `qinfer info` prints and
 * `qinfer bench` divides by the run time. Shapes must be inferred; a node with an unknown shape counts 0. */
#include "engine/op.h"

/* Input (out = false) or output slot i of n when present and shaped, else NULL. */
static const qi_tensor *shaped(const qi_graph *g, const qi_node *n, bool out, int i) {
  const int count = out ? n->n_outputs : n->n_inputs;
  const int *slots = out ? n->outputs : n->inputs;
  if (i >= count || slots[i] < 0 || slots[i] >= g->n_tensors) return NULL;
  const qi_tensor *t = &g->tensors[slots[i]];
  return t->rank >= 0 ? t : NULL;
}

/* Product of dims[1:]: per-output-element MACs of a Conv weight [M, C/group, k...]. */
static int64_t tail_product(const qi_tensor *t) {
  int64_t n = 1;
  for (int i = 1; i < t->rank; i++) n = qi_mul_sat(n, t->dims[i]);
  return n;
}

static int64_t last_dim(const qi_tensor *t) { return t->rank > 0 ? t->dims[t->rank - 1] : 1; }

static int64_t conv_macs(const qi_graph *g, const qi_node *n, int weight_slot) {
  const qi_tensor *y = shaped(g, n, true, 0), *w = shaped(g, n, false, weight_slot);
  return y && w ? qi_mul_sat(qi_tensor_numel_sat(y), tail_product(w)) : 0;
}

int64_t qi_macs_conv(const qi_graph *g, const qi_node *n) { return conv_macs(g, n, 1); }
int64_t qi_macs_qlinearconv(const qi_graph *g, const qi_node *n) { return conv_macs(g, n, 3); }

int64_t qi_macs_conv_transpose(const qi_graph *g, const qi_node *n) {
  /* Each input element meets (M/group) * kernel weights: W is [C, M/group, k...]. */
  const qi_tensor *x = shaped(g, n, false, 0), *w = shaped(g, n, false, 1);
  return x && w ? qi_mul_sat(qi_tensor_numel_sat(x), tail_product(w)) : 0;
}

int64_t qi_macs_gemm(const qi_graph *g, const qi_node *n) {
  const qi_tensor *y = shaped(g, n, true, 0), *a = shaped(g, n, false, 0);
  if (!y || !a || a->rank != 2) return 0;
  return qi_mul_sat(qi_tensor_numel_sat(y), qi_attr_int(n, "transA", 0) ? a->dims[0] : a->dims[1]);
}

int64_t qi_macs_matmul(const qi_graph *g, const qi_node *n) {
  const qi_tensor *y = shaped(g, n, true, 0), *a = shaped(g, n, false, 0);
  return y && a ? qi_mul_sat(qi_tensor_numel_sat(y), last_dim(a)) : 0;
}

int64_t qi_macs_attention(const qi_graph *g, const qi_node *n) {
  /* Q [B, Hq, S, D] or [B, S, Hq*D]; K [B, Hk, T, D] or [B, T, Hk*D]; past_key [B, Hk, P, D] adds P keys:
   * Q K^T and the weighted sum of V over T keys. */
  const qi_tensor *y = shaped(g, n, true, 0), *q = shaped(g, n, false, 0), *k = shaped(g, n, false, 1);
  const qi_tensor *past = shaped(g, n, false, 4);
  if (!y || !q || q->rank < 3 || !k || k->rank < 3) return 0;
  const int64_t t = (k->rank == 4 ? k->dims[2] : k->dims[1]) + (past && past->rank == 4 ? past->dims[2] : 0);
  return qi_add_sat(qi_mul_sat(qi_tensor_numel_sat(q), t), qi_mul_sat(qi_tensor_numel_sat(y), t));
}

int64_t qi_macs_qattention(const qi_graph *g, const qi_node *n) {
  /* input [B, S, D] x weight [D, 3H], then Q K^T and the weighted sum of V: 2 * B * S * S * H */
  const qi_tensor *y = shaped(g, n, true, 0), *x = shaped(g, n, false, 0), *w = shaped(g, n, false, 1);
  if (!y || !x || x->rank != 3 || !w || w->rank != 2) return 0;
  const int64_t proj = qi_mul_sat(qi_tensor_numel_sat(x), w->dims[1]);
  return qi_add_sat(proj, qi_mul_sat(qi_tensor_numel_sat(y), qi_mul_sat(2, x->dims[1])));
}

int64_t qi_count_macs(const qi_graph *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (!n->dead && n->op && n->op->macs) total = qi_add_sat(total, n->op->macs(g, n));
  }
  return total;
}
