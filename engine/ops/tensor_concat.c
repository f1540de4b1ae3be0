/* Concat and Split: both view tensors as [outer, axis * inner] and move one contiguous run per outer index
 * and per piece. */
#include <string.h>

#include "engine/ops/tensor_common.h"

/* ---- Concat ---- */

static qi_status concat_axis(qi_graph *g, qi_node *n, int *axis, qi_error *err) {
  const qi_tensor *x0 = qi_node_in(g, n, 0);
  if (!qi_tops_has_attr(n, "axis")) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute 'axis' is required");
  return qi_tops_axis(n, qi_attr_int(n, "axis", 0), x0->rank, "axis", axis, err);
}

qi_status qi_tops_concat_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, -1, 1, err));
  for (int i = 0; i < n->n_inputs; i++)
    if (!qi_node_in(g, n, i)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
  const qi_tensor *x0 = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x0->dtype, &es, err));
  if (x0->rank == 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot concatenate scalars");
  int axis;
  QI_CHECK(concat_axis(g, n, &axis, err));
  int64_t od[QI_MAX_RANK];
  memcpy(od, x0->dims, sizeof od);
  od[axis] = 0;
  char a[160], b[160];
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *x = qi_node_in(g, n, i);
    if (x->dtype != x0->dtype)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is %s, input 0 is %s", i,
                          qi_dtype_name(x->dtype), qi_dtype_name(x0->dtype));
    bool ok = x->rank == x0->rank;
    for (int d = 0; ok && d < x->rank; d++) ok = d == axis || x->dims[d] == x0->dims[d];
    if (!ok)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input %d shape %s does not match input 0 shape %s on axis %d",
                          i, qi_shape_str(x->rank, x->dims, a, sizeof a), qi_shape_str(x0->rank, x0->dims, b, sizeof b),
                          axis);
    if (od[axis] > INT64_MAX - x->dims[axis]) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "axis size overflows");
    od[axis] += x->dims[axis];
  }
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x0->dtype, x0->rank, od, err);
}

qi_status qi_tops_concat_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  int axis;
  QI_CHECK(concat_axis(g, n, &axis, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  size_t es = qi_dtype_size(y->dtype);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= y->dims[d];
  for (int d = axis + 1; d < y->rank; d++) inner *= y->dims[d];
  int64_t out_row = y->dims[axis] * inner * (int64_t)es, offset = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *x = qi_node_in(g, n, i);
    int64_t row = x->dims[axis] * inner * (int64_t)es;
    qi_strided_copy c = {.rank = 1, .dims = {outer}, .src_stride = {row}, .dst_stride = {out_row},
                         .inner_n = row, .inner_src_stride = 1, .elem = 1};
    if (row > 0) qi_strided_copy_run(&c, (char *)y->data + offset, x->data, qi_tops_pool(ctx));
    offset += row;
  }
  return QINFER_OK;
}

/* ---- Split: sizes from the 'split' attribute (< 13) or input (>= 13), else num_outputs (>= 18) or equal
 * parts over the node's outputs. ---- */

static qi_status split_sizes(qi_graph *g, qi_node *n, int *axis, int64_t *sizes, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  QI_CHECK(qi_tops_axis(n, qi_attr_int(n, "axis", 0), x->rank, "axis", axis, err));
  int64_t dim = x->dims[*axis];
  int nout = n->n_outputs;
  const qi_tensor *st = n->opset >= 13 ? qi_node_in(g, n, 1) : NULL;
  const int64_t *attr = NULL;
  int nsplit = n->opset < 13 ? qi_attr_ints(n, "split", &attr) : -1;
  if (st) {
    QI_CHECK(qi_tops_require_const(n, st, "split", err));
    if (st->rank != 1 || (st->dtype != QINFER_DTYPE_INT64 && st->dtype != QINFER_DTYPE_INT32))
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 'split' must be a 1-D int64 tensor");
    nsplit = (int)(qi_tensor_numel(st) < 0x7fffffff ? qi_tensor_numel(st) : 0x7fffffff);
  }
  if (nsplit >= 0) {
    if (nsplit != nout)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'split' has %d entries for %d outputs", nsplit, nout);
    int64_t sum = 0;
    for (int i = 0; i < nout; i++) {
      sizes[i] = st ? qi_tops_int_at(st->data, st->dtype, i) : attr[i];
      if (sizes[i] < 0 || sizes[i] > dim)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "split size %lld is invalid", (long long)sizes[i]);
      sum += sizes[i];
    }
    if (sum != dim)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "split sizes sum to %lld, axis %d has %lld", (long long)sum,
                          *axis, (long long)dim);
    return QINFER_OK;
  }
  if (n->opset >= 18 && qi_tops_has_attr(n, "num_outputs")) {
    int64_t k = qi_attr_int(n, "num_outputs", 0);
    if (k != nout)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "num_outputs %lld differs from the %d outputs",
                          (long long)k, nout);
    /* ceil(dim / k) each; the last takes the remainder */
    int64_t part = (dim + k - 1) / k;
    for (int i = 0; i < nout; i++) {
      int64_t start = part * i < dim ? part * i : dim;
      sizes[i] = (start + part < dim ? start + part : dim) - start;
    }
    return QINFER_OK;
  }
  if (dim % nout)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "axis %d of size %lld does not split into %d equal parts", *axis,
                        (long long)dim, nout);
  for (int i = 0; i < nout; i++) sizes[i] = dim / nout;
  return QINFER_OK;
}

enum { SPLIT_MAX_OUTPUTS = 4096 };

qi_status qi_tops_split_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, n->opset >= 13 ? 2 : 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  if (n->n_outputs > SPLIT_MAX_OUTPUTS)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%d outputs exceed %d", n->n_outputs, SPLIT_MAX_OUTPUTS);
  if (x->rank == 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot split a scalar");
  int64_t sizes[SPLIT_MAX_OUTPUTS];
  int axis;
  QI_CHECK(split_sizes(g, n, &axis, sizes, err));
  for (int i = 0; i < n->n_outputs; i++) {
    qi_tensor *y = qi_node_out(g, n, i);
    if (!y) continue;
    int64_t od[QI_MAX_RANK];
    memcpy(od, x->dims, sizeof od);
    od[axis] = sizes[i];
    QI_CHECK(qi_tops_set_output(n, y, x->dtype, x->rank, od, err));
  }
  return QINFER_OK;
}

qi_status qi_tops_split_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es = qi_dtype_size(x->dtype);
  int64_t sizes[SPLIT_MAX_OUTPUTS];
  int axis;
  QI_CHECK(split_sizes(g, n, &axis, sizes, err));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
  int64_t in_row = x->dims[axis] * inner * (int64_t)es, offset = 0;
  for (int i = 0; i < n->n_outputs; i++) {
    qi_tensor *y = qi_node_out(g, n, i);
    int64_t row = sizes[i] * inner * (int64_t)es;
    if (y && row > 0) {
      qi_strided_copy c = {.rank = 1, .dims = {outer}, .src_stride = {in_row}, .dst_stride = {row},
                           .inner_n = row, .inner_src_stride = 1, .elem = 1};
      qi_strided_copy_run(&c, y->data, (const char *)x->data + offset, qi_tops_pool(ctx));
    }
    offset += row;
  }
  return QINFER_OK;
}
