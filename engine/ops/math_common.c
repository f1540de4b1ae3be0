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

qi_status qi_math_legacy_broadcast(const qi_node *n, const qi_tensor *a, const qi_tensor **b, qi_tensor *view,
                                   qi_error *err) {
  const qi_tensor *s = *b;
  bool same = s->rank == a->rank;
  for (int d = 0; same && d < a->rank; d++) same = s->dims[d] == a->dims[d];
  if (same) return QINFER_OK;
  char x[128], y[128];
  if (qi_attr_int(n, "broadcast", 0) == 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%s-%d without broadcast=1 takes B of A's shape %s, not %s",
                        n->op_type, n->opset, qi_shape_str(a->rank, a->dims, x, sizeof x),
                        qi_shape_str(s->rank, s->dims, y, sizeof y));
  const int64_t axis = qi_attr_int(n, "axis", a->rank - s->rank);
  bool fits = axis >= 0 && axis + s->rank <= a->rank;
  for (int d = 0; fits && d < s->rank; d++) fits = s->dims[d] == 1 || s->dims[d] == a->dims[axis + d];
  if (!fits)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%s-%d: B %s does not match A %s from axis %lld",
                        n->op_type, n->opset, qi_shape_str(s->rank, s->dims, y, sizeof y),
                        qi_shape_str(a->rank, a->dims, x, sizeof x), (long long)axis);
  *view = *s;
  view->rank = a->rank - (int)axis;
  for (int d = s->rank; d < view->rank; d++) view->dims[d] = 1;
  *b = view;
  return QINFER_OK;
}
