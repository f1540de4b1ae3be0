/* Tile (repeats input) and Trilu (triangle of the last two axes, k optional input, opset 14). */
#include <string.h>

#include "engine/ops/tensor_common.h"

/* ---- Tile ---- */

qi_status qi_tops_tile_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 2, 2, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  int64_t rep[QI_MAX_RANK], od[QI_MAX_RANK];
  int nr;
  const qi_tensor *rt = qi_node_in(g, n, 1);
  if (rt->dtype != QINFER_DTYPE_INT64)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "repeats must be int64, not %s", qi_dtype_name(rt->dtype));
  QI_CHECK(qi_tops_const_ints(n, rt, "repeats", rep, QI_MAX_RANK, &nr, err));
  if (nr != x->rank || rt->rank != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "repeats has %d values for rank %d", nr, x->rank);
  for (int d = 0; d < x->rank; d++) {
    if (rep[d] < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "repeat %lld is negative", (long long)rep[d]);
    if (rep[d] != 0 && x->dims[d] > INT64_MAX / rep[d])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "output dim %d overflows", d);
    od[d] = x->dims[d] * rep[d];
  }
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, od, err);
}

qi_status qi_tops_tile_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  size_t es = qi_dtype_size(x->dtype);
  int r = x->rank;
  int64_t total = qi_tensor_numel(y);
  if (total == 0) return QINFER_OK;
  if (r == 0) {
    memcpy(y->data, x->data, es);
    return QINFER_OK;
  }
  /* output rows (all axes but the last) read input row (pos mod dims); the row is the input row repeated */
  int64_t xs[QI_MAX_RANK], pos[QI_MAX_RANK] = {0};
  qi_tops_strides(r, x->dims, xs);
  int64_t w = y->dims[r - 1], rows = total / w, in_w = x->dims[r - 1];
  size_t in_bytes = (size_t)in_w * es;
  char *dst = y->data;
  for (int64_t row = 0; row < rows; row++, dst += (size_t)w * es) {
    int64_t off = 0;
    for (int d = 0; d < r - 1; d++) off += (pos[d] % x->dims[d]) * xs[d];
    const char *src = (const char *)x->data + (size_t)off * es;
    for (int64_t k = 0; k < w; k += in_w) memcpy(dst + (size_t)k * es, src, in_bytes);
    for (int d = r - 2; d >= 0; d--) {
      if (++pos[d] < y->dims[d]) break;
      pos[d] = 0;
    }
  }
  return QINFER_OK;
}

/* ---- Trilu: upper keeps j - i >= k, lower keeps j - i <= k ---- */

qi_status qi_tops_trilu_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 2, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *k = qi_node_in(g, n, 1);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  if (x->rank < 2) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input must have rank >= 2, has %d", x->rank);
  if (k && (k->dtype != QINFER_DTYPE_INT64 || qi_tensor_numel(k) != 1))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "k must be an int64 scalar");
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, x->dims, err);
}

qi_status qi_tops_trilu_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0), *kt = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  size_t es = qi_dtype_size(x->dtype);
  int64_t k = kt ? *(const int64_t *)kt->data : 0;
  bool upper = qi_attr_int(n, "upper", 1) != 0;
  int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1], total = qi_tensor_numel(x);
  if (total == 0) return QINFER_OK;
  int64_t mats = total / (rows * cols);
  /* clamp k so j = i + k cannot overflow */
  if (k > cols) k = cols;
  if (k < -rows) k = -rows;
  qi_tops_copy_bytes(y->data, x->data, (size_t)total * es);
  char *p = y->data;
  for (int64_t m = 0; m < mats; m++) {
    for (int64_t i = 0; i < rows; i++, p += (size_t)cols * es) {
      /* zeroed columns: upper -> [0, i + k), lower -> (i + k, cols) */
      int64_t lo = upper ? 0 : i + k + 1, hi = upper ? i + k : cols;
      if (lo < 0) lo = 0;
      if (hi > cols) hi = cols;
      if (hi > lo) memset(p + (size_t)lo * es, 0, (size_t)(hi - lo) * es);
    }
  }
  return QINFER_OK;
}
