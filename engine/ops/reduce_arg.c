/* ArgMax / ArgMin along one axis (keepdims, select_last_index from opset 12) on float, int32, int64; int64
 * output. With inner elements after the axis, columns are scanned in blocks so rows are read contiguously. */
#include <stdint.h>
#include <string.h>

#include "engine/ops/reduce_ops.h"

#define COLUMN_BLOCK 64

qi_status qi_reduce_arg_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (n->n_inputs != 1 || !x || !y || x->rank < 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 1 input and 1 output");
  if (x->dtype != QINFER_DTYPE_FLOAT && x->dtype != QINFER_DTYPE_INT32 && x->dtype != QINFER_DTYPE_INT64)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(x->dtype));
  if (x->rank < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input must have rank >= 1");
  int axis;
  QI_CHECK(qi_reduce_axis(n, qi_attr_int(n, "axis", 0), x->rank, false, &axis, err));
  if (x->dims[axis] == 0)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "axis %d has size 0", axis);
  const bool keepdims = qi_attr_int(n, "keepdims", 1) != 0;
  int rank = 0;
  int64_t dims[QI_MAX_RANK];
  for (int d = 0; d < x->rank; d++) {
    if (d != axis)
      dims[rank++] = x->dims[d];
    else if (keepdims)
      dims[rank++] = 1;
  }
  qi_tensor_set_shape(y, QINFER_DTYPE_INT64, rank, dims);
  return QINFER_OK;
}

/* better(v, best): strictly better, or equal too when the last index is wanted. NaN never wins. */
#define QI_ARG_SCAN(T)                                                                                   \
  static void arg_##T(const T *x, int64_t *y, int64_t outer, int64_t dim, int64_t inner, bool is_max,  \
                      bool last) {                                                                      \
    for (int64_t o = 0; o < outer; o++) {                                                               \
      for (int64_t c0 = 0; c0 < inner; c0 += COLUMN_BLOCK) {                                            \
        const int64_t cols = inner - c0 < COLUMN_BLOCK ? inner - c0 : COLUMN_BLOCK;                     \
        const T *xo = x + o * dim * inner + c0;                                                         \
        T best[COLUMN_BLOCK];                                                                           \
        int64_t *yo = y + o * inner + c0;                                                               \
        for (int64_t c = 0; c < cols; c++) best[c] = xo[c], yo[c] = 0;                                  \
        for (int64_t r = 1; r < dim; r++) {                                                             \
          const T *row = xo + r * inner;                                                                \
          for (int64_t c = 0; c < cols; c++) {                                                          \
            const T v = row[c];                                                                         \
            const bool take = is_max ? (last ? v >= best[c] : v > best[c])                              \
                                     : (last ? v <= best[c] : v < best[c]);                             \
            if (take) best[c] = v, yo[c] = r;                                                           \
          }                                                                                             \
        }                                                                                               \
      }                                                                                                 \
    }                                                                                                   \
  }
QI_ARG_SCAN(float)
QI_ARG_SCAN(int32_t)
QI_ARG_SCAN(int64_t)

qi_status qi_reduce_arg_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const qi_tensor *x = qi_node_in(g, n, 0);
  int axis;
  QI_CHECK(qi_reduce_axis(n, qi_attr_int(n, "axis", 0), x->rank, false, &axis, err));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
  const int64_t dim = x->dims[axis];
  const bool is_max = strcmp(n->op_type, "ArgMax") == 0, last = qi_attr_int(n, "select_last_index", 0) != 0;
  int64_t *y = qi_node_out(g, n, 0)->data;
  switch (x->dtype) {
    case QINFER_DTYPE_FLOAT: arg_float(x->data, y, outer, dim, inner, is_max, last); break;
    case QINFER_DTYPE_INT32: arg_int32_t(x->data, y, outer, dim, inner, is_max, last); break;
    default: arg_int64_t(x->data, y, outer, dim, inner, is_max, last); break;
  }
  return QINFER_OK;
}
