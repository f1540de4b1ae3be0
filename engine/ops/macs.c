/* Multiply-accumulates of one run, per op (the `macs` member of an op's table row): what `qinfer info` prints and
 * `qinfer bench` divides by the run time. Shapes must be inferred; a node with an unknown shape counts 0. */
#include "engine/op.h"

static int64_t mul_sat(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0) return 0;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t add_sat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* Input (out = false) or output slot i of n when present and shaped, else NULL. */
static const qi_tensor *shaped(const qi_graph *g, const qi_node *n, bool out, int i) {
  const int count = out ? n->n_outputs : n->n_inputs;
  const int *slots = out ? n->outputs : n->inputs;
  if (i >= count || slots[i] < 0 || slots[i] >= g->n_tensors) return NULL;
  const qi_tensor *t = &g->tensors[slots[i]];
  return t->rank >= 0 ? t : NULL;
}

static int64_t numel(const qi_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; i++) n = mul_sat(n, t->dims[i]);
  return n;
}

/* Product of dims[1:]: per-output-element MACs of a Conv weight [M, C/group, k...]. */
static int64_t tail_product(const qi_tensor *t) {
  int64_t n = 1;
  for (int i = 1; i < t->rank; i++) n = mul_sat(n, t->dims[i]);
  return n;
}

static int64_t last_dim(const qi_tensor *t) { return t->rank > 0 ? t->dims[t->rank - 1] : 1; }

static int64_t conv_macs(const qi_graph *g, const qi_node *n, int weight_slot) {
  const qi_tensor *y = shaped(g, n, true, 0), *w = shaped(g, n, false, weight_slot);
  return y && w ? mul_sat(numel(y), tail_product(w)) : 0;
}

int64_t qi_macs_conv(const qi_graph *g, const qi_node *n) { return conv_macs(g, n, 1); }
int64_t qi_macs_qlinearconv(const qi_graph *g, const qi_node *n) { return conv_macs(g, n, 3); }

int64_t qi_macs_conv_transpose(const qi_graph *g, const qi_node *n) {
  /* Each input element meets (M/group) * kernel weights: W is [C, M/group, k...]. */
  const qi_tensor *x = shaped(g, n, false, 0), *w = shaped(g, n, false, 1);
  return x && w ? mul_sat(numel(x), tail_product(w)) : 0;
}

int64_t qi_macs_gemm(const qi_graph *g, const qi_node *n) {
  const qi_tensor *y = shaped(g, n, true, 0), *a = shaped(g, n, false, 0);
  if (!y || !a || a->rank != 2) return 0;
  return mul_sat(numel(y), qi_attr_int(n, "transA", 0) ? a->dims[0] : a->dims[1]);
}

int64_t qi_macs_matmul(const qi_graph *g, const qi_node *n) {
  const qi_tensor *y = shaped(g, n, true, 0), *a = shaped(g, n, false, 0);
  return y && a ? mul_sat(numel(y), last_dim(a)) : 0;
}

int64_t qi_macs_attention(const qi_graph *g, const qi_node *n) {
  /* Q [B, Hq, S, D] or [B, S, Hq*D]; K [B, Hk, T, D] or [B, T, Hk*D]; past_key [B, Hk, P, D] adds P keys:
   * Q K^T and the weighted sum of V over T keys. */
  const qi_tensor *y = shaped(g, n, true, 0), *q = shaped(g, n, false, 0), *k = shaped(g, n, false, 1);
  const qi_tensor *past = shaped(g, n, false, 4);
  if (!y || !q || q->rank < 3 || !k || k->rank < 3) return 0;
  const int64_t t = (k->rank == 4 ? k->dims[2] : k->dims[1]) + (past && past->rank == 4 ? past->dims[2] : 0);
  return add_sat(mul_sat(numel(q), t), mul_sat(numel(y), t));
}

int64_t qi_count_macs(const qi_graph *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (!n->dead && n->op && n->op->macs) total = add_sat(total, n->op->macs(g, n));
  }
  return total;
}
