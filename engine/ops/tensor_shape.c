/* Ops that make values from shapes or attributes: Shape, Size, Constant, ConstantOfShape, Range, and
 * NonZero (whose output shape depends on its input's values, so the input must be constant). Shape and Size
 * make their output constant during inference so that shape subgraphs fold even with non-constant data. */
#include <math.h>
#include <string.h>

#include "engine/ops/tensor_common.h"

/* ---- Shape (start / end since opset 15) ---- */

static void shape_range(const qi_node *n, int rank, int64_t *start, int64_t *end) {
  int64_t s = n->opset >= 15 ? qi_attr_int(n, "start", 0) : 0;
  int64_t e = n->opset >= 15 ? qi_attr_int(n, "end", rank) : rank;
  if (s < 0) s += rank;
  if (e < 0) e += rank;
  s = s < 0 ? 0 : (s > rank ? rank : s);
  e = e < 0 ? 0 : (e > rank ? rank : e);
  *start = s;
  *end = e > s ? e : s;
}

qi_status qi_tops_shape_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t s, e;
  shape_range(n, x->rank, &s, &e);
  int64_t len = e - s;
  return qi_tensor_set_const_copy(qi_node_out(g, n, 0), QINFER_DTYPE_INT64, 1, &len, x->dims + s, err);
}

qi_status qi_tops_shape_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t s, e;
  shape_range(n, x->rank, &s, &e);
  qi_tops_copy_bytes(qi_node_out(g, n, 0)->data, x->dims + s, (size_t)(e - s) * sizeof(int64_t));
  return QINFER_OK;
}

/* ---- Size ---- */

qi_status qi_tops_size_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  int64_t numel = qi_tensor_numel(qi_node_in(g, n, 0));
  return qi_tensor_set_const_copy(qi_node_out(g, n, 0), QINFER_DTYPE_INT64, 0, NULL, &numel, err);
}

qi_status qi_tops_size_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  int64_t numel = qi_tensor_numel(qi_node_in(g, n, 0));
  memcpy(qi_node_out(g, n, 0)->data, &numel, sizeof numel);
  return QINFER_OK;
}

/* ---- Constant: value (a TENSOR attribute: a constant tensor of the graph), value_float(s), value_int(s) ---- */

typedef struct const_value {
  int dtype, rank;
  int64_t dims[QI_MAX_RANK];
  const void *data;
  float f;
  int64_t i;
} const_value;

static qi_status constant_value(qi_graph *g, const qi_node *n, const_value *v, qi_error *err) {
  if (n->n_attrs != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "needs exactly one value attribute, has %d", n->n_attrs);
  const qi_attr *a = &n->attrs[0];
  memset(v, 0, sizeof *v);
  if (strcmp(a->name, "value") == 0 && a->type == QI_ATTR_TENSOR) {
    if (a->tensor < 0 || a->tensor >= g->n_tensors || !(g->tensors[a->tensor].flags & QI_TF_CONST))
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'value' does not name a constant tensor");
    const qi_tensor *t = &g->tensors[a->tensor];
    size_t es;
    QI_CHECK(qi_tops_elem_size(n, t->dtype, &es, err));
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->data = t->data;
  } else if (strcmp(a->name, "value_float") == 0 && a->type == QI_ATTR_FLOAT) {
    v->dtype = QINFER_DTYPE_FLOAT;
    v->f = a->f;
    v->data = &v->f;
  } else if (strcmp(a->name, "value_int") == 0 && a->type == QI_ATTR_INT) {
    v->dtype = QINFER_DTYPE_INT64;
    v->i = a->i;
    v->data = &v->i;
  } else if (strcmp(a->name, "value_floats") == 0 && a->type == QI_ATTR_FLOATS) {
    v->dtype = QINFER_DTYPE_FLOAT;
    v->rank = 1;
    v->dims[0] = a->n;
    v->data = a->floats;
  } else if (strcmp(a->name, "value_ints") == 0 && a->type == QI_ATTR_INTS) {
    v->dtype = QINFER_DTYPE_INT64;
    v->rank = 1;
    v->dims[0] = a->n;
    v->data = a->ints;
  } else {
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "attribute '%s' is unsupported", a->name);
  }
  return QINFER_OK;
}

qi_status qi_tops_constant_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 0, 0, 1, err));
  const_value v;
  QI_CHECK(constant_value(g, n, &v, err));
  QI_CHECK(qi_tops_set_output(n, qi_node_out(g, n, 0), v.dtype, v.rank, v.dims, err));
  return qi_tensor_set_const_copy(qi_node_out(g, n, 0), v.dtype, v.rank, v.dims, v.data, err);
}

qi_status qi_tops_constant_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const_value v;
  QI_CHECK(constant_value(g, n, &v, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  qi_tops_copy_bytes(y->data, v.data, (size_t)qi_tensor_numel(y) * qi_dtype_size(y->dtype));
  return QINFER_OK;
}

/* ---- ConstantOfShape: output of the shape given by input 0, filled with the one-element 'value' tensor
 * (float 0 by default) ---- */

static qi_status cos_value(qi_graph *g, const qi_node *n, int *dtype, const void **data, qi_error *err) {
  static const float zero = 0.0f;
  const qi_attr *a = qi_node_attr(n, "value");
  *dtype = QINFER_DTYPE_FLOAT;
  *data = &zero;
  if (!a) return QINFER_OK;
  if (a->type != QI_ATTR_TENSOR || a->tensor < 0 || a->tensor >= g->n_tensors ||
      !(g->tensors[a->tensor].flags & QI_TF_CONST))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'value' must be a constant tensor");
  const qi_tensor *t = &g->tensors[a->tensor];
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, t->dtype, &es, err));
  if (qi_tensor_numel(t) != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'value' must hold one element, holds %lld",
                        (long long)qi_tensor_numel(t));
  *dtype = t->dtype;
  *data = t->data;
  return QINFER_OK;
}

qi_status qi_tops_constant_of_shape_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  int64_t dims[QI_MAX_RANK];
  int rank, dtype;
  const void *val;
  const qi_tensor *shape = qi_node_in(g, n, 0);
  if (shape->dtype != QINFER_DTYPE_INT64)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input must be int64, not %s", qi_dtype_name(shape->dtype));
  QI_CHECK(qi_tops_const_ints(n, shape, "input", dims, QI_MAX_RANK, &rank, err));
  QI_CHECK(cos_value(g, n, &dtype, &val, err));
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "negative dimension %lld", (long long)dims[i]);
  return qi_tops_set_output(n, qi_node_out(g, n, 0), dtype, rank, dims, err);
}

qi_status qi_tops_constant_of_shape_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  int dtype;
  const void *val;
  QI_CHECK(cos_value(g, n, &dtype, &val, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  size_t es = qi_dtype_size(dtype);
  int64_t cnt = qi_tensor_numel(y);
  char *p = y->data;
  bool zero = true;
  for (size_t b = 0; b < es; b++) zero = zero && ((const char *)val)[b] == 0;
  if (zero) {
    memset(p, 0, (size_t)cnt * es);
  } else {
    for (int64_t i = 0; i < cnt; i++) memcpy(p + (size_t)i * es, val, es);
  }
  return QINFER_OK;
}

/* ---- Range: start + i * delta for i < max(ceil((limit - start) / delta), 0) ---- */

static qi_status range_count(qi_graph *g, const qi_node *n, int64_t *count, qi_error *err) {
  const qi_tensor *t[3] = {qi_node_in(g, n, 0), qi_node_in(g, n, 1), qi_node_in(g, n, 2)};
  static const char *names[3] = {"start", "limit", "delta"};
  int dt = t[0]->dtype;
  for (int i = 0; i < 3; i++) {
    QI_CHECK(qi_tops_require_const(n, t[i], names[i], err));
    if (t[i]->dtype != dt || qi_tensor_numel(t[i]) != 1 || t[i]->rank > 1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'%s' must be a scalar of the same type as 'start'",
                          names[i]);
  }
  if (dt == QINFER_DTYPE_FLOAT || dt == QINFER_DTYPE_DOUBLE) {
    double s = qi_tops_float_at(t[0]->data, dt, 0), l = qi_tops_float_at(t[1]->data, dt, 0),
           d = qi_tops_float_at(t[2]->data, dt, 0);
    if (d == 0 || !isfinite(s) || !isfinite(l) || !isfinite(d))
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "start, limit and delta must be finite, delta non-zero");
    double c = ceil((l - s) / d);
    if (c > 9.0e15) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "too many elements");
    *count = c > 0 ? (int64_t)c : 0;
  } else if (dt == QINFER_DTYPE_INT16 || dt == QINFER_DTYPE_INT32 || dt == QINFER_DTYPE_INT64) {
    int64_t s = qi_tops_int_at(t[0]->data, dt, 0), l = qi_tops_int_at(t[1]->data, dt, 0),
            d = qi_tops_int_at(t[2]->data, dt, 0);
    if (d == 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "delta is 0");
    /* exact ceil((l - s) / d) in unsigned arithmetic, which cannot overflow */
    uint64_t c = 0;
    if (d > 0 && l > s) {
      uint64_t diff = (uint64_t)l - (uint64_t)s, ud = (uint64_t)d;
      c = diff / ud + (diff % ud != 0);
    } else if (d < 0 && s > l) {
      uint64_t diff = (uint64_t)s - (uint64_t)l, ud = (uint64_t)(-(d + 1)) + 1;
      c = diff / ud + (diff % ud != 0);
    }
    if (c > (uint64_t)INT64_MAX / 8) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "too many elements");
    *count = (int64_t)c;
  } else {
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "type %s is unsupported", qi_dtype_name(dt));
  }
  return QINFER_OK;
}

qi_status qi_tops_range_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 3, 3, 1, err));
  int64_t count;
  QI_CHECK(range_count(g, n, &count, err));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), qi_node_in(g, n, 0)->dtype, 1, &count, err);
}

qi_status qi_tops_range_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *st = qi_node_in(g, n, 0), *de = qi_node_in(g, n, 2);
  qi_tensor *y = qi_node_out(g, n, 0);
  int64_t cnt = y->dims[0];
  switch (y->dtype) {
    case QINFER_DTYPE_FLOAT: {
      float s = *(const float *)st->data, d = *(const float *)de->data;
      for (int64_t i = 0; i < cnt; i++) ((float *)y->data)[i] = s + (float)i * d;
      break;
    }
    case QINFER_DTYPE_DOUBLE: {
      double s = *(const double *)st->data, d = *(const double *)de->data;
      for (int64_t i = 0; i < cnt; i++) ((double *)y->data)[i] = s + (double)i * d;
      break;
    }
    default: { /* integers: the count bounds every value inside [start, limit) */
      int64_t s = qi_tops_int_at(st->data, st->dtype, 0), d = qi_tops_int_at(de->data, de->dtype, 0);
      for (int64_t i = 0; i < cnt; i++) {
        int64_t v = s + i * d;
        if (y->dtype == QINFER_DTYPE_INT64) ((int64_t *)y->data)[i] = v;
        else if (y->dtype == QINFER_DTYPE_INT32) ((int32_t *)y->data)[i] = (int32_t)v;
        else ((int16_t *)y->data)[i] = (int16_t)v;
      }
      break;
    }
  }
  return QINFER_OK;
}

/* ---- NonZero: [rank, nnz] int64 coordinates in row-major order; constant input only ---- */

static bool is_nonzero(const qi_tensor *x, int64_t i) {
  switch (x->dtype) {
    case QINFER_DTYPE_FLOAT: case QINFER_DTYPE_DOUBLE: case QINFER_DTYPE_FLOAT16:
      return qi_tops_float_at(x->data, x->dtype, i) != 0.0; /* -0 is zero, NaN is not */
    default:
      return qi_tops_int_at(x->data, x->dtype, i) != 0;
  }
}

qi_status qi_tops_nonzero_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  QI_CHECK(qi_tops_require_const(n, x, "X", err));
  int64_t nnz = 0, total = qi_tensor_numel(x);
  for (int64_t i = 0; i < total; i++) nnz += is_nonzero(x, i);
  int64_t od[2] = {x->rank, nnz};
  return qi_tops_set_output(n, qi_node_out(g, n, 0), QINFER_DTYPE_INT64, 2, od, err);
}

qi_status qi_tops_nonzero_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  int64_t total = qi_tensor_numel(x), nnz = y->dims[1], k = 0, pos[QI_MAX_RANK] = {0};
  int64_t *out = y->data;
  for (int64_t i = 0; i < total; i++) {
    if (is_nonzero(x, i)) {
      if (k >= nnz) return qi_node_fail(err, QINFER_ERR_RUNTIME, n, "input changed after shape inference");
      for (int d = 0; d < x->rank; d++) out[d * nnz + k] = pos[d];
      k++;
    }
    for (int d = x->rank - 1; d >= 0; d--) {
      if (++pos[d] < x->dims[d]) break;
      pos[d] = 0;
    }
  }
  if (k != nnz) return qi_node_fail(err, QINFER_ERR_RUNTIME, n, "input changed after shape inference");
  return QINFER_OK;
}
