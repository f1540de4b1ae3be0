#include "tools/model_stats.h"

#include <stdlib.h>
#include <string.h>

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
      total = qi_add_sat(total, qi_tensor_numel_sat(t));
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
