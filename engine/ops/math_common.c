#include "engine/ops/math_ops.h"

qi_status qi_math_check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, qi_error *err) {
  if (n->n_inputs < min_in || n->n_inputs > max_in)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected %d to %d inputs, got %d", min_in,
                        max_in, n->n_inputs);
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (!t) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
    if (t->rank < 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input %d has no shape", i);
  }
  if (!qi_node_out(g, n, 0)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  return QINFER_OK;
}
