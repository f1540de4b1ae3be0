#include "tools/model_stats.h"

#include <stdlib.h>
#include <string.h>

static int64_t mul_sat(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0) return 0;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t add_sat(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* Input or output slot i when present and shaped, else NULL. */
static const qi_tensor *shaped(const qi_graph *g, const int *slots, int n, int i) {
  if (i >= n || slots[i] < 0 || slots[i] >= g->n_tensors) return NULL;
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

static int64_t node_macs(const qi_graph *g, const qi_node *n) {
  const char *op = n->op_type;
  const qi_tensor *y = shaped(g, n->outputs, n->n_outputs, 0);
  if (!y) return 0;
  const qi_tensor *a = shaped(g, n->inputs, n->n_inputs, 0);
  if (!strcmp(op, "Conv") || !strcmp(op, "ConvInteger") || !strcmp(op, "QLinearConv")) {
    const qi_tensor *w = shaped(g, n->inputs, n->n_inputs, !strcmp(op, "QLinearConv") ? 3 : 1);
    return w ? mul_sat(numel(y), tail_product(w)) : 0;
  }
  if (!strcmp(op, "ConvTranspose")) {
    /* Each input element meets (M/group) * kernel weights: W is [C, M/group, k...]. */
    const qi_tensor *w = shaped(g, n->inputs, n->n_inputs, 1);
    return a && w ? mul_sat(numel(a), tail_product(w)) : 0;
  }
  if (!strcmp(op, "Gemm")) {
    if (!a || a->rank != 2) return 0;
    int64_t k = qi_attr_int(n, "transA", 0) ? a->dims[0] : a->dims[1];
    return mul_sat(numel(y), k);
  }
  if (!strcmp(op, "MatMul") || !strcmp(op, "MatMulInteger") || !strcmp(op, "QLinearMatMul"))
    return a ? mul_sat(numel(y), last_dim(a)) : 0;
  if (!strcmp(op, "Attention")) {
    if (!a || a->rank < 3) return 0;
    if (n->domain && !strcmp(n->domain, "com.microsoft")) {
      /* input [B, S, H] x weights [H, Wq + Wk + Wv], then softmax(Q K^T) V over S keys. */
      const qi_tensor *w = shaped(g, n->inputs, n->n_inputs, 1);
      if (!w || w->rank != 2) return 0;
      int64_t b = a->dims[0], s = a->dims[1], hv = last_dim(y);
      int64_t hq = (w->dims[1] - hv) / 2 > 0 ? (w->dims[1] - hv) / 2 : hv;
      int64_t proj = mul_sat(numel(a), w->dims[1]);
      return add_sat(proj, mul_sat(mul_sat(mul_sat(b, s), s), hq + hv));
    }
    /* ONNX Attention: Q [B, Hq, S, D] or [B, S, Hq*D]; K [B, Hk, T, D] or [B, T, Hk*D]; past_key
     * [B, Hk, P, D] adds P keys. */
    const qi_tensor *k = shaped(g, n->inputs, n->n_inputs, 1);
    const qi_tensor *past = shaped(g, n->inputs, n->n_inputs, 4);
    if (!k || k->rank < 3) return 0;
    int64_t t = (k->rank == 4 ? k->dims[2] : k->dims[1]) + (past && past->rank == 4 ? past->dims[2] : 0);
    return add_sat(mul_sat(numel(a), t), mul_sat(numel(y), t));
  }
  return 0;
}

int64_t qi_count_macs(const qi_graph *g) {
  int64_t total = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead) total = add_sat(total, node_macs(g, &g->nodes[i]));
  return total;
}

static bool is_numeric(int dtype) {
  return dtype != QINFER_DTYPE_UNDEFINED && dtype != QINFER_DTYPE_STRING && dtype != QINFER_DTYPE_BOOL;
}

int64_t qi_count_params(const qi_graph *g) {
  if (g->n_tensors <= 0) return 0;
  bool *seen = calloc((size_t)g->n_tensors, sizeof *seen);
  if (!seen) return -1;
  int64_t total = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->n_inputs; j++) {
      int ti = n->inputs[j];
      if (ti < 0 || ti >= g->n_tensors || seen[ti]) continue;
      const qi_tensor *t = &g->tensors[ti];
      if (!(t->flags & QI_TF_CONST) || !is_numeric(t->dtype) || t->rank < 0) continue;
      seen[ti] = true;
      total = add_sat(total, numel(t));
    }
  }
  free(seen);
  return total;
}

static int by_count_then_name(const void *pa, const void *pb) {
  const qi_op_count *a = pa, *b = pb;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  int c = strcmp(a->op_type, b->op_type);
  return c ? c : strcmp(a->domain, b->domain);
}

int qi_op_histogram(const qi_graph *g, qi_op_count *counts, int cap) {
  int n_ops = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    const char *domain = n->domain ? n->domain : "";
    int k = 0;
    while (k < n_ops && (strcmp(counts[k].op_type, n->op_type) || strcmp(counts[k].domain, domain))) k++;
    if (k == n_ops) {
      if (n_ops == cap) return -1;
      counts[n_ops++] = (qi_op_count){n->op_type, domain, 0};
    }
    counts[k].count++;
  }
  qsort(counts, (size_t)n_ops, sizeof *counts, by_count_then_name);
  return n_ops;
}
