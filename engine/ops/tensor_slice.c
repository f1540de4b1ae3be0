/* Slice: starts / ends / axes attributes before opset 10, inputs (with steps) from 10. The output is a
 * strided view of the input, copied with one strided-copy plan (memcpy runs when the innermost step is 1).
 * Clamping follows the spec and ONNX Runtime: with a negative step a start below -dim clamps to 0 (numpy
 * would give an empty slice), and an end of INT32_MAX / INT64_MAX means "through the first element". */
#include <string.h>

#include "engine/ops/tensor_common.h"

typedef struct slice_plan {
  int64_t start[QI_MAX_RANK], step[QI_MAX_RANK], out[QI_MAX_RANK];
} slice_plan;

static qi_status read_param(qi_graph *g, qi_node *n, int input, const char *name, int64_t *vals, int *count,
                            bool *given, qi_error *err) {
  *given = false;
  if (n->opset >= 10) {
    const qi_tensor *t = qi_node_in(g, n, input);
    if (!t) return QINFER_OK;
    *given = true;
    return qi_tops_const_ints(n, t, name, vals, QI_MAX_RANK, count, err);
  }
  const int64_t *a;
  int na = qi_attr_ints(n, name, &a);
  if (na < 0) return QINFER_OK;
  if (na > QI_MAX_RANK) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'%s' has %d entries", name, na);
  memcpy(vals, a, sizeof *a * (size_t)na);
  *count = na;
  *given = true;
  return QINFER_OK;
}

static qi_status slice_plan_make(qi_graph *g, qi_node *n, slice_plan *p, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t starts[QI_MAX_RANK], ends[QI_MAX_RANK], axes[QI_MAX_RANK], steps[QI_MAX_RANK];
  int ns = 0, ne = 0, na = 0, nst = 0;
  bool has_s, has_e, has_a, has_st;
  QI_CHECK(read_param(g, n, 1, "starts", starts, &ns, &has_s, err));
  QI_CHECK(read_param(g, n, 2, "ends", ends, &ne, &has_e, err));
  QI_CHECK(read_param(g, n, 3, "axes", axes, &na, &has_a, err));
  if (n->opset >= 10) QI_CHECK(read_param(g, n, 4, "steps", steps, &nst, &has_st, err));
  else has_st = false;
  if (!has_s || !has_e) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'starts' and 'ends' are required");
  if (ns != ne || (has_a && na != ns) || (has_st && nst != ns))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "starts, ends, axes and steps must have the same length (%d, %d, %d, %d)", ns, ne,
                        has_a ? na : ns, has_st ? nst : ns);
  if (ns > x->rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%d slice entries for rank %d", ns, x->rank);
  for (int d = 0; d < x->rank; d++) {
    p->start[d] = 0;
    p->step[d] = 1;
    p->out[d] = x->dims[d];
  }
  bool seen[QI_MAX_RANK] = {false};
  for (int i = 0; i < ns; i++) {
    int a = i;
    if (has_a) QI_CHECK(qi_tops_axis(n, axes[i], x->rank, "axis", &a, err));
    if (seen[a]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d is repeated", a);
    seen[a] = true;
    int64_t dim = x->dims[a], step = has_st ? steps[i] : 1, s = starts[i], e = ends[i];
    if (step == 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "step of axis %d is 0", a);
    if (step < -INT64_MAX) step = -INT64_MAX; /* same slice, and -step cannot overflow */
    /* ONNX clamping: negatives count from the end; positive steps clamp into [0, dim], negative into
     * [0, dim-1] for the start and [-1, dim-1] for the end */
    if (s < 0) s += dim;
    if (e == INT64_MAX || e == INT32_MAX) e = step < 0 ? -1 : dim; /* "to the end", as numpy's None */
    else if (e < 0) e += dim;
    int64_t s_lo = 0, s_hi = step > 0 ? dim : dim - 1, e_lo = step > 0 ? 0 : -1, e_hi = s_hi;
    s = s < s_lo ? s_lo : (s > s_hi ? s_hi : s);
    e = e < e_lo ? e_lo : (e > e_hi ? e_hi : e);
    int64_t len = 0;
    if (step > 0 && e > s) len = (e - s - 1) / step + 1;
    if (step < 0 && s > e && dim > 0) len = (s - e - 1) / (-step) + 1;
    p->start[a] = len > 0 ? s : 0;
    p->step[a] = len > 1 ? step : 1; /* one element: any step is the same view, and a huge one would overflow
                                      * the byte strides (len > 1 bounds |step| by dim - 1) */
    p->out[a] = len;
  }
  return QINFER_OK;
}

qi_status qi_tops_slice_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, n->opset >= 10 ? 3 : 1, n->opset >= 10 ? 5 : 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  slice_plan p;
  QI_CHECK(slice_plan_make(g, n, &p, err));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, p.out, err);
}

qi_status qi_tops_slice_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  slice_plan p;
  QI_CHECK(slice_plan_make(g, n, &p, err));
  size_t es = qi_dtype_size(x->dtype);
  int r = x->rank;
  int64_t numel = 1, in_stride[QI_MAX_RANK], out_stride[QI_MAX_RANK];
  for (int d = 0; d < r; d++) numel *= p.out[d];
  if (numel == 0) return QINFER_OK;
  qi_tops_strides(r, x->dims, in_stride);
  qi_tops_strides(r, p.out, out_stride);
  const char *src = x->data;
  for (int d = 0; d < r; d++) src += p.start[d] * in_stride[d] * (int64_t)es;
  if (r == 0) {
    memcpy(y->data, src, es);
    return QINFER_OK;
  }
  qi_strided_copy c = {.rank = r - 1, .inner_n = p.out[r - 1], .inner_src_stride = p.step[r - 1] * (int64_t)es,
                       .elem = es};
  for (int d = 0; d < r - 1; d++) {
    c.dims[d] = p.out[d];
    c.src_stride[d] = p.step[d] * in_stride[d] * (int64_t)es;
    c.dst_stride[d] = out_stride[d] * (int64_t)es;
  }
  qi_strided_copy_simplify(&c);
  qi_strided_copy_run(&c, y->data, src, qi_tops_pool(ctx));
  return QINFER_OK;
}
