#include "engine/ops/tensor_common.h"

#include <math.h>
#include <string.h>

qi_status qi_tops_check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, int min_out,
                              qi_error *err) {
  if (n->n_inputs < min_in || (max_in >= 0 && n->n_inputs > max_in))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "has %d inputs, expected %d to %d", n->n_inputs,
                        min_in, max_in);
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (!t) {
      if (i < min_in) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "required input %d is missing", i);
      continue;
    }
    if (!(t->flags & QI_TF_SHAPED) || t->rank < 0)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input %d ('%s') has no known shape", i, t->name);
  }
  if (n->n_outputs < min_out || !qi_node_out(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "has %d outputs, expected at least %d", n->n_outputs,
                        min_out < 1 ? 1 : min_out);
  return QINFER_OK;
}

qi_status qi_tops_elem_size(const qi_node *n, int dtype, size_t *size, qi_error *err) {
  size_t s = qi_dtype_size(dtype);
  if (dtype == QINFER_DTYPE_STRING || (s != 1 && s != 2 && s != 4 && s != 8))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "data type %s is not supported", qi_dtype_name(dtype));
  *size = s;
  return QINFER_OK;
}

qi_status qi_tops_axis(const qi_node *n, int64_t axis, int rank, const char *what, int *out, qi_error *err) {
  if (axis < -(int64_t)rank || axis >= rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%s %lld is out of range for rank %d", what,
                        (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return QINFER_OK;
}

qi_status qi_tops_set_output(const qi_node *n, qi_tensor *t, int dtype, int rank, const int64_t *dims,
                             qi_error *err) {
  if (rank < 0 || rank > QI_MAX_RANK)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "output rank %d exceeds the maximum %d", rank,
                        QI_MAX_RANK);
  int64_t numel;
  char buf[160];
  if (!qi_shape_numel(rank, dims, &numel))
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "output shape %s is negative or overflows",
                        qi_shape_str(rank, dims, buf, sizeof buf));
  size_t es = qi_dtype_size(dtype);
  if (es && numel > (int64_t)(INT64_MAX / 8 / (int64_t)es))
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "output shape %s is too large",
                        qi_shape_str(rank, dims, buf, sizeof buf));
  qi_tensor_set_shape(t, dtype, rank, dims);
  return QINFER_OK;
}

qi_status qi_tops_require_const(const qi_node *n, const qi_tensor *t, const char *what, qi_error *err) {
  if (!t || !(t->flags & QI_TF_CONST) || (!t->data && qi_tensor_numel(t) > 0))
    return qi_require_value_fail(n, t, what, err);
  return QINFER_OK;
}

bool qi_tops_is_int_dtype(int dtype) {
  switch (dtype) {
    case QINFER_DTYPE_UINT8: case QINFER_DTYPE_INT8: case QINFER_DTYPE_UINT16: case QINFER_DTYPE_INT16:
    case QINFER_DTYPE_INT32: case QINFER_DTYPE_INT64: case QINFER_DTYPE_UINT32: case QINFER_DTYPE_UINT64:
    case QINFER_DTYPE_BOOL:
      return true;
    default:
      return false;
  }
}

int64_t qi_tops_int_at(const void *data, int dtype, int64_t i) {
  switch (dtype) {
    case QINFER_DTYPE_UINT8: case QINFER_DTYPE_BOOL: return ((const uint8_t *)data)[i];
    case QINFER_DTYPE_INT8: return ((const int8_t *)data)[i];
    case QINFER_DTYPE_UINT16: return ((const uint16_t *)data)[i];
    case QINFER_DTYPE_INT16: return ((const int16_t *)data)[i];
    case QINFER_DTYPE_INT32: return ((const int32_t *)data)[i];
    case QINFER_DTYPE_INT64: return ((const int64_t *)data)[i];
    case QINFER_DTYPE_UINT32: return ((const uint32_t *)data)[i];
    case QINFER_DTYPE_UINT64: return (int64_t)((const uint64_t *)data)[i];
    default: return 0;
  }
}

double qi_tops_float_at(const void *data, int dtype, int64_t i) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: return ((const float *)data)[i];
    case QINFER_DTYPE_DOUBLE: return ((const double *)data)[i];
    case QINFER_DTYPE_FLOAT16: return qi_tops_f16_to_f32(((const uint16_t *)data)[i]);
    default: return (double)qi_tops_int_at(data, dtype, i);
  }
}

static qi_status const_vector(const qi_node *n, const qi_tensor *t, const char *what, int cap, int *count,
                              qi_error *err) {
  QI_CHECK(qi_tops_require_const(n, t, what, err));
  if (t->rank > 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input '%s' must be a scalar or 1-D, has rank %d",
                        what, t->rank);
  int64_t numel = qi_tensor_numel(t);
  if (numel > cap)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input '%s' has %lld values, at most %d allowed", what,
                        (long long)numel, cap);
  *count = (int)numel;
  return QINFER_OK;
}

qi_status qi_tops_const_ints(const qi_node *n, const qi_tensor *t, const char *what, int64_t *vals, int cap,
                             int *count, qi_error *err) {
  QI_CHECK(const_vector(n, t, what, cap, count, err));
  if (t->dtype != QINFER_DTYPE_INT64 && t->dtype != QINFER_DTYPE_INT32)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input '%s' must be int64 or int32, not %s", what,
                        qi_dtype_name(t->dtype));
  for (int i = 0; i < *count; i++) vals[i] = qi_tops_int_at(t->data, t->dtype, i);
  return QINFER_OK;
}

qi_status qi_tops_const_floats(const qi_node *n, const qi_tensor *t, const char *what, double *vals, int cap,
                               int *count, qi_error *err) {
  QI_CHECK(const_vector(n, t, what, cap, count, err));
  if (t->dtype != QINFER_DTYPE_FLOAT && t->dtype != QINFER_DTYPE_DOUBLE && t->dtype != QINFER_DTYPE_FLOAT16)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input '%s' must be a float type, not %s", what,
                        qi_dtype_name(t->dtype));
  for (int i = 0; i < *count; i++) vals[i] = qi_tops_float_at(t->data, t->dtype, i);
  return QINFER_OK;
}

float qi_tops_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13); /* inf / NaN */
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else { /* subnormal half: value = mant * 2^-24, exact in float */
    float f = (float)mant * 0x1p-24f;
    return sign ? -f : f;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

uint16_t qi_tops_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0)); /* inf / NaN */
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to >= 65520: overflow to inf */
  if (ax < 0x38800000u) { /* below the smallest normal half (2^-14): subnormal or zero */
    float a;
    memcpy(&a, &ax, sizeof a);
    /* a * 2^24 is the subnormal mantissa; nearbyint rounds half to even in the default mode */
    return (uint16_t)(sign | (uint16_t)nearbyintf(a * 0x1p24f));
  }
  /* normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even */
  uint32_t h = ((ax >> 13) - (112u << 10));
  uint32_t rest = ax & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

void qi_tops_copy_bytes(void *dst, const void *src, size_t nbytes) {
  if (dst != src && nbytes) memmove(dst, src, nbytes);
}

void qi_tops_strides(int rank, const int64_t *dims, int64_t *strides) {
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

/* ---- strided copy ---- */

void qi_strided_copy_simplify(qi_strided_copy *c) {
  int r = 0;
  for (int i = 0; i < c->rank; i++) { /* drop unit dims */
    if (c->dims[i] == 1) continue;
    c->dims[r] = c->dims[i];
    c->src_stride[r] = c->src_stride[i];
    c->dst_stride[r] = c->dst_stride[i];
    r++;
  }
  c->rank = r;
  /* an inner run of one element can take the innermost outer dim when its destination is dense */
  if (c->inner_n == 1 && r > 0 && c->dst_stride[r - 1] == (int64_t)c->elem) {
    c->inner_n = c->dims[r - 1];
    c->inner_src_stride = c->src_stride[r - 1];
    c->rank = --r;
  }
  /* grow the run while the innermost outer dim continues it on both sides */
  while (r > 0 && c->src_stride[r - 1] == c->inner_n * c->inner_src_stride &&
         c->dst_stride[r - 1] == c->inner_n * (int64_t)c->elem) {
    c->inner_n *= c->dims[r - 1];
    c->rank = --r;
  }
  /* merge outer dims that chain */
  int w = 0;
  for (int i = 0; i < r; i++) {
    if (w > 0 && c->src_stride[w - 1] == c->src_stride[i] * c->dims[i] &&
        c->dst_stride[w - 1] == c->dst_stride[i] * c->dims[i]) {
      c->dims[w - 1] *= c->dims[i];
      c->src_stride[w - 1] = c->src_stride[i];
      c->dst_stride[w - 1] = c->dst_stride[i];
      continue;
    }
    c->dims[w] = c->dims[i];
    c->src_stride[w] = c->src_stride[i];
    c->dst_stride[w] = c->dst_stride[i];
    w++;
  }
  c->rank = w;
}

#define QI_GATHER_RUN(T)                                               \
  do {                                                                 \
    T *d_ = (T *)d;                                                    \
    for (int64_t k = 0; k < n; k++) {                                  \
      memcpy(d_ + k, s + k * ss, sizeof(T));                           \
    }                                                                  \
  } while (0)

static void copy_run(char *d, const char *s, int64_t n, int64_t ss, size_t elem) {
  if (ss == (int64_t)elem) {
    memcpy(d, s, (size_t)n * elem);
    return;
  }
  switch (elem) {
    case 1: QI_GATHER_RUN(uint8_t); break;
    case 2: QI_GATHER_RUN(uint16_t); break;
    case 4: QI_GATHER_RUN(uint32_t); break;
    default: QI_GATHER_RUN(uint64_t); break;
  }
}

typedef struct copy_job {
  const qi_strided_copy *c;
  char *dst;
  const char *src;
} copy_job;

static void copy_range(void *arg, size_t begin, size_t end) {
  const copy_job *job = arg;
  const qi_strided_copy *c = job->c;
  int64_t idx[QI_MAX_RANK];
  int64_t so = 0, dof = 0, rem = (int64_t)begin;
  for (int i = c->rank - 1; i >= 0; i--) {
    idx[i] = rem % c->dims[i];
    rem /= c->dims[i];
    so += idx[i] * c->src_stride[i];
    dof += idx[i] * c->dst_stride[i];
  }
  for (size_t it = begin; it < end; it++) {
    copy_run(job->dst + dof, job->src + so, c->inner_n, c->inner_src_stride, c->elem);
    for (int i = c->rank - 1; i >= 0; i--) { /* odometer step */
      so += c->src_stride[i];
      dof += c->dst_stride[i];
      if (++idx[i] < c->dims[i]) break;
      so -= c->src_stride[i] * c->dims[i];
      dof -= c->dst_stride[i] * c->dims[i];
      idx[i] = 0;
    }
  }
}

void qi_strided_copy_run(const qi_strided_copy *c, void *dst, const void *src, qi_threadpool *pool) {
  int64_t outer = 1;
  for (int i = 0; i < c->rank; i++) outer *= c->dims[i];
  if (outer == 0 || c->inner_n == 0) return;
  copy_job job = {c, dst, src};
  size_t run_bytes = (size_t)c->inner_n * c->elem;
  size_t grain = run_bytes >= 65536 ? 1 : 65536 / run_bytes;
  if (!pool || (size_t)outer <= grain)
    copy_range(&job, 0, (size_t)outer);
  else
    qi_parallel_for(pool, (size_t)outer, grain, copy_range, &job);
}
