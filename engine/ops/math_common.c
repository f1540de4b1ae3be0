#include "engine/ops/math_ops.h"

qi_status qi_math_check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, qi_error *err) {
  if (n->n_inputs < min_in || n->n_inputs > max_in)
    return qi_fail(err, QINFER_ERR_INVALID_MODEL, "%s: expected %d to %d inputs, got %d", n->op_type, min_in,
                   max_in, n->n_inputs);
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (!t) return qi_fail(err, QINFER_ERR_INVALID_MODEL, "%s: input %d is missing", n->op_type, i);
    if (t->rank < 0) return qi_fail(err, QINFER_ERR_SHAPE, "%s: input %d has no shape", n->op_type, i);
  }
  if (!qi_node_out(g, n, 0)) return qi_fail(err, QINFER_ERR_INVALID_MODEL, "%s: output 0 is missing", n->op_type);
  return QINFER_OK;
}
