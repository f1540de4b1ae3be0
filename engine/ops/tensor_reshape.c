/* Ops that change only the shape (Reshape, Flatten, Squeeze, Unsqueeze) or nothing (Identity, Dropout in
 * inference). Their run copies the bytes, or nothing when the executor made the output alias the input. */
#include <string.h>

#include "engine/ops/tensor_common.h"

static qi_status same_bytes_run(qi_graph *g, qi_node *n) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  qi_tops_copy_bytes(y->data, x->data, (size_t)qi_tensor_numel(x) * qi_dtype_size(x->dtype));
  return QINFER_OK;
}

/* ---- Reshape (shape input; allowzero since opset 14) ---- */

qi_status qi_tops_reshape_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 2, 2, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t shape[QI_MAX_RANK];
  int rank;
  QI_CHECK(qi_tops_const_ints(n, qi_node_in(g, n, 1), "shape", shape, QI_MAX_RANK, &rank, err));
  bool allowzero = n->opset >= 14 && qi_attr_int(n, "allowzero", 0) != 0;
  int infer_at = -1;
  int64_t known = 1;
  char buf[160];
  for (int i = 0; i < rank; i++) {
    if (shape[i] == -1) {
      if (infer_at >= 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (shape[i] < -1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "shape entry %lld is invalid", (long long)shape[i]);
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "shape entry %d is 0 but the input has rank %d", i,
                            x->rank);
      shape[i] = x->dims[i];
    }
    if (shape[i] != 0 && known > INT64_MAX / shape[i])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "shape overflows");
    known *= shape[i];
  }
  if (allowzero && infer_at >= 0)
    for (int i = 0; i < rank; i++)
      if (shape[i] == 0)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "allowzero=1 forbids 0 and -1 in one shape");
  int64_t numel = qi_tensor_numel(x);
  if (infer_at >= 0) {
    if (known == 0 || numel % known)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot infer -1: %lld elements into %s", (long long)numel,
                          qi_shape_str(rank, shape, buf, sizeof buf));
    shape[infer_at] = numel / known;
  } else if (known != numel) {
    char xb[160];
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot reshape %s into %s",
                        qi_shape_str(x->rank, x->dims, xb, sizeof xb), qi_shape_str(rank, shape, buf, sizeof buf));
  }
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, rank, shape, err);
}

qi_status qi_tops_reshape_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  return same_bytes_run(g, n);
}

/* ---- Flatten ---- */

qi_status qi_tops_flatten_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t axis = qi_attr_int(n, "axis", 1);
  if (axis < -(int64_t)x->rank || axis > x->rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld is out of range for rank %d",
                        (long long)axis, x->rank);
  if (axis < 0) axis += x->rank;
  int64_t od[2];
  if (!qi_shape_numel((int)axis, x->dims, &od[0]) || !qi_shape_numel(x->rank - (int)axis, x->dims + axis, &od[1]))
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "shape overflows");
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, 2, od, err);
}

qi_status qi_tops_flatten_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  return same_bytes_run(g, n);
}

/* ---- Squeeze / Unsqueeze: axes attribute before opset 13, optional / required input from 13 ---- */

static qi_status read_axes(qi_graph *g, qi_node *n, int64_t *axes, int *count, bool *given, qi_error *err) {
  *given = false;
  *count = 0;
  if (n->opset >= 13) {
    const qi_tensor *t = qi_node_in(g, n, 1);
    if (!t) return QINFER_OK;
    *given = true;
    return qi_tops_const_ints(n, t, "axes", axes, QI_MAX_RANK, count, err);
  }
  const int64_t *a;
  int na = qi_attr_ints(n, "axes", &a);
  if (na < 0) return QINFER_OK;
  if (na > QI_MAX_RANK) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "too many axes (%d)", na);
  *given = true;
  memcpy(axes, a, sizeof *a * (size_t)na);
  *count = na;
  return QINFER_OK;
}

qi_status qi_tops_squeeze_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, n->opset >= 13 ? 2 : 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t axes[QI_MAX_RANK];
  int na;
  bool given;
  QI_CHECK(read_axes(g, n, axes, &na, &given, err));
  bool drop[QI_MAX_RANK] = {false};
  if (!given) {
    for (int i = 0; i < x->rank; i++) drop[i] = x->dims[i] == 1;
  } else {
    for (int i = 0; i < na; i++) {
      int a;
      QI_CHECK(qi_tops_axis(n, axes[i], x->rank, "axis", &a, err));
      if (drop[a]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d is repeated", a);
      if (x->dims[a] != 1)
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot squeeze axis %d of size %lld", a,
                            (long long)x->dims[a]);
      drop[a] = true;
    }
  }
  int64_t od[QI_MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++)
    if (!drop[i]) od[r++] = x->dims[i];
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, r, od, err);
}

qi_status qi_tops_squeeze_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  return same_bytes_run(g, n);
}

qi_status qi_tops_unsqueeze_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, n->opset >= 13 ? 2 : 1, n->opset >= 13 ? 2 : 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t axes[QI_MAX_RANK];
  int na;
  bool given;
  QI_CHECK(read_axes(g, n, axes, &na, &given, err));
  if (!given) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axes are required");
  int out_rank = x->rank + na;
  if (out_rank > QI_MAX_RANK)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "output rank %d exceeds %d", out_rank, QI_MAX_RANK);
  bool inserted[QI_MAX_RANK] = {false};
  for (int i = 0; i < na; i++) {
    int a;
    QI_CHECK(qi_tops_axis(n, axes[i], out_rank, "axis", &a, err));
    if (inserted[a]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d is repeated", a);
    inserted[a] = true;
  }
  int64_t od[QI_MAX_RANK];
  for (int i = 0, j = 0; i < out_rank; i++) od[i] = inserted[i] ? 1 : x->dims[j++];
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, out_rank, od, err);
}

qi_status qi_tops_unsqueeze_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  return same_bytes_run(g, n);
}

/* ---- Identity ---- */

qi_status qi_tops_identity_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, x->dims, err);
}

qi_status qi_tops_identity_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  return same_bytes_run(g, n);
}

/* ---- Dropout (inference): output = input, optional mask all true.
 * Opsets 7-9 type the mask like the data (ones); 10+ make it bool. From 12, ratio and training_mode are
 * inputs: training_mode absent or false, or ratio 0, gives exactly that (the spec's output for ratio 0 in
 * training mode too); training_mode true with another ratio is random dropout, refused: at session creation
 * when both are constants, else at run time. ---- */

/* Whether training_mode and ratio ask for random dropout (training_mode true, ratio not 0; ratio 0.5 when
 * absent). Both are scalars of checked types. */
static bool dropout_random(const qi_tensor *training, const qi_tensor *ratio) {
  if (!training || !*(const uint8_t *)training->data) return false;
  return !ratio || qi_tops_float_at(ratio->data, ratio->dtype, 0) != 0.0;
}

qi_status qi_tops_dropout_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, n->opset >= 12 ? 3 : 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  const qi_tensor *training = qi_node_in(g, n, 2);
  if (training && !(training->flags & QI_TF_CONST)) {
    const qi_tensor *ratio = qi_node_in(g, n, 1);
    if (training->dtype != QINFER_DTYPE_BOOL || qi_tensor_numel(training) != 1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "training_mode must be a bool scalar");
    if (ratio && ((ratio->dtype != QINFER_DTYPE_FLOAT && ratio->dtype != QINFER_DTYPE_DOUBLE &&
                   ratio->dtype != QINFER_DTYPE_FLOAT16) || qi_tensor_numel(ratio) != 1))
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "ratio must be a float scalar");
  } else if (training) {
    QI_CHECK(qi_tops_require_const(n, training, "training_mode", err));
    if (training->dtype != QINFER_DTYPE_BOOL || qi_tensor_numel(training) != 1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "training_mode must be a bool scalar");
    if (*(const uint8_t *)training->data) {
      const qi_tensor *ratio = qi_node_in(g, n, 1);
      double r = 0.5;
      int cnt = 0;
      if (ratio) QI_CHECK(qi_tops_const_floats(n, ratio, "ratio", &r, 1, &cnt, err));
      if (!ratio || cnt != 1 || r != 0.0)
        return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "training_mode=true (random dropout) is unsupported");
    }
  }
  QI_CHECK(qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, x->dims, err));
  qi_tensor *mask = qi_node_out(g, n, 1);
  if (mask) {
    int mdt = n->opset >= 10 ? QINFER_DTYPE_BOOL : x->dtype;
    if (mdt != QINFER_DTYPE_BOOL && mdt != QINFER_DTYPE_FLOAT && mdt != QINFER_DTYPE_DOUBLE &&
        mdt != QINFER_DTYPE_FLOAT16)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "mask of type %s is unsupported", qi_dtype_name(mdt));
    QI_CHECK(qi_tops_set_output(n, mask, mdt, x->rank, x->dims, err));
  }
  return QINFER_OK;
}

qi_status qi_tops_dropout_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  if (dropout_random(qi_node_in(g, n, 2), qi_node_in(g, n, 1)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "training_mode=true (random dropout) is unsupported");
  same_bytes_run(g, n);
  qi_tensor *mask = qi_node_out(g, n, 1);
  if (mask) {
    int64_t cnt = qi_tensor_numel(mask);
    switch (mask->dtype) {
      case QINFER_DTYPE_BOOL: memset(mask->data, 1, (size_t)cnt); break;
      case QINFER_DTYPE_FLOAT: for (int64_t i = 0; i < cnt; i++) ((float *)mask->data)[i] = 1.0f; break;
      case QINFER_DTYPE_DOUBLE: for (int64_t i = 0; i < cnt; i++) ((double *)mask->data)[i] = 1.0; break;
      default: for (int64_t i = 0; i < cnt; i++) ((uint16_t *)mask->data)[i] = 0x3c00; break; /* half 1.0 */
    }
  }
  return QINFER_OK;
}
