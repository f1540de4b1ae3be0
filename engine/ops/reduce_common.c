#include "engine/ops/reduce_ops.h"

qi_status qi_reduce_axis(const qi_node *n, int64_t axis, int rank, bool allow_rank, int *out, qi_error *err) {
  const int64_t hi = allow_rank ? rank : rank - 1;
  if (axis < -rank || axis > hi)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return QINFER_OK;
}
