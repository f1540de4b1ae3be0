/* Gather and GatherElements. Indices may be negative (counted from the end); an index out of range at run
 * time fails with QINFER_ERR_RUNTIME before anything is read. */
#include <string.h>

#include "engine/ops/tensor_common.h"

static qi_status check_indices(const qi_node *n, const qi_tensor *t, qi_error *err) {
  if (t->dtype != QINFER_DTYPE_INT64 && t->dtype != QINFER_DTYPE_INT32)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "indices must be int32 or int64, not %s",
                        qi_dtype_name(t->dtype));
  return QINFER_OK;
}

static inline int64_t raw_index(const qi_tensor *t, int64_t i) {
  return t->dtype == QINFER_DTYPE_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
}

/* Fails with RUNTIME unless every index lies in [-dim, dim). */
static qi_status check_range(const qi_node *n, const qi_tensor *t, int64_t dim, qi_error *err) {
  int64_t count = qi_tensor_numel(t);
  for (int64_t i = 0; i < count; i++) {
    int64_t v = raw_index(t, i);
    if (v < -dim || v >= dim)
      return qi_node_fail(err, QINFER_ERR_RUNTIME, n, "index %lld is out of range for an axis of size %lld",
                          (long long)v, (long long)dim);
  }
  return QINFER_OK;
}

/* Index i of t counted from the front; check_range has vouched for it. */
static inline int64_t index_at(const qi_tensor *t, int64_t i, int64_t dim) {
  int64_t v = raw_index(t, i);
  return v < 0 ? v + dim : v;
}

/* ---- Gather: out[a..., i..., b...] = data[a..., idx[i...], b...] ---- */

qi_status qi_tops_gather_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 2, 2, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *idx = qi_node_in(g, n, 1);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  QI_CHECK(check_indices(n, idx, err));
  if (x->rank == 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "data must have rank >= 1");
  int axis;
  QI_CHECK(qi_tops_axis(n, qi_attr_int(n, "axis", 0), x->rank, "axis", &axis, err));
  int out_rank = x->rank - 1 + idx->rank;
  if (out_rank > QI_MAX_RANK)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "output rank %d exceeds %d", out_rank, QI_MAX_RANK);
  int64_t od[QI_MAX_RANK];
  int r = 0;
  for (int d = 0; d < axis; d++) od[r++] = x->dims[d];
  for (int d = 0; d < idx->rank; d++) od[r++] = idx->dims[d];
  for (int d = axis + 1; d < x->rank; d++) od[r++] = x->dims[d];
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, out_rank, od, err);
}

qi_status qi_tops_gather_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const qi_tensor *x = qi_node_in(g, n, 0), *idx = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  int axis = (int)qi_attr_int(n, "axis", 0);
  if (axis < 0) axis += x->rank;
  size_t es = qi_dtype_size(x->dtype);
  int64_t outer = 1, inner = 1, dim = x->dims[axis], ni = qi_tensor_numel(idx);
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
  size_t run = (size_t)inner * es;
  QI_CHECK(check_range(n, idx, dim, err)); /* before anything is written */
  if (run == 0) return QINFER_OK;
  char *dst = y->data;
  const char *src = x->data;
  for (int64_t o = 0; o < outer; o++) {
    const char *src_o = src + (size_t)(o * dim) * run;
    for (int64_t i = 0; i < ni; i++) {
      memcpy(dst, src_o + (size_t)index_at(idx, i, dim) * run, run);
      dst += run;
    }
  }
  return QINFER_OK;
}

/* ---- GatherElements: out[i] = data[i with i[axis] replaced by idx[i]] ---- */

qi_status qi_tops_gather_elements_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 2, 2, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *idx = qi_node_in(g, n, 1);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  QI_CHECK(check_indices(n, idx, err));
  if (x->rank == 0 || idx->rank != x->rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "data (rank %d) and indices (rank %d) need the same rank >= 1",
                        x->rank, idx->rank);
  int axis;
  QI_CHECK(qi_tops_axis(n, qi_attr_int(n, "axis", 0), x->rank, "axis", &axis, err));
  for (int d = 0; d < x->rank; d++)
    if (d != axis && idx->dims[d] > x->dims[d])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "indices dim %d (%lld) exceeds data dim (%lld)", d,
                          (long long)idx->dims[d], (long long)x->dims[d]);
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, idx->rank, idx->dims, err);
}

qi_status qi_tops_gather_elements_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const qi_tensor *x = qi_node_in(g, n, 0), *idx = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  int axis = (int)qi_attr_int(n, "axis", 0), r = x->rank;
  if (axis < 0) axis += r;
  size_t es = qi_dtype_size(x->dtype);
  int64_t total = qi_tensor_numel(idx), xs[QI_MAX_RANK], pos[QI_MAX_RANK] = {0};
  qi_tops_strides(r, x->dims, xs);
  QI_CHECK(check_range(n, idx, x->dims[axis], err));
  int64_t base = 0; /* data offset of pos with pos[axis] = 0 */
  for (int64_t i = 0; i < total; i++) {
    int64_t k = index_at(idx, i, x->dims[axis]);
    memcpy((char *)y->data + (size_t)i * es, (const char *)x->data + (size_t)(base + k * xs[axis]) * es, es);
    for (int d = r - 1; d >= 0; d--) { /* odometer over the indices shape */
      if (d != axis) base += xs[d];
      if (++pos[d] < idx->dims[d]) break;
      if (d != axis) base -= xs[d] * idx->dims[d];
      pos[d] = 0;
    }
  }
  return QINFER_OK;
}
