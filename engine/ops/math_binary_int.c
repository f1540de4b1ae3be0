/* Integer elementwise arithmetic (int32 / int64, and int8 / uint8 through int32; wrapping like two's complement instead of overflowing) and
 * Pow with mixed base / exponent types. These mostly run on small shape tensors, so plain loops suffice. */
#include <math.h>
#include <stdint.h>

#include "engine/ops/math_ops.h"

/* Exact integer power by squaring (wrapping); negative exponents truncate 1/x^-e toward zero as C does. */
static int64_t ipow(int64_t base, int64_t e) {
  if (e < 0) return base == 1 ? 1 : base == -1 ? ((e & 1) ? -1 : 1) : 0;
  uint64_t result = 1, b = (uint64_t)base;
  while (e) {
    if (e & 1) result *= b;
    b *= b;
    e >>= 1;
  }
  return (int64_t)result;
}

/* The op on one pair of values of type T (unsigned twin U); sets *bad on a division by zero. */
#define QI_INT_BINARY_OP(T, U, MIN_VALUE)                                                  \
  static inline T op_##T(qi_math_binary_op op, T x, T z, bool fmod, bool *bad) {          \
    switch (op) {                                                                          \
      case QI_MATH_ADD: return (T)((U)x + (U)z);                                           \
      case QI_MATH_SUB: return (T)((U)x - (U)z);                                           \
      case QI_MATH_MUL: return (T)((U)x * (U)z);                                           \
      case QI_MATH_DIV:                                                                    \
        if (z == 0) return *bad = true, 0;                                                 \
        return (x == MIN_VALUE && z == -1) ? x : x / z;                                    \
      case QI_MATH_MOD: {                                                                  \
        if (z == 0) return *bad = true, 0;                                                 \
        if (z == -1) return 0;                                                             \
        T r = x % z;                                                                       \
        if (!fmod && r != 0 && ((r < 0) != (z < 0))) r += z;                               \
        return r;                                                                          \
      }                                                                                    \
      case QI_MATH_POW: return (T)ipow(x, z);                                              \
      case QI_MATH_MAX: return x > z ? x : z;                                              \
      case QI_MATH_MIN: return x < z ? x : z;                                              \
      case QI_MATH_PRELU: return x < 0 ? (T)((U)x * (U)z) : x;                             \
    }                                                                                      \
    return 0;                                                                              \
  }
QI_INT_BINARY_OP(int32_t, uint32_t, INT32_MIN)
QI_INT_BINARY_OP(int64_t, uint64_t, INT64_MIN)

#define QI_INT_BINARY_LOOP(T)                                                                           \
  do {                                                                                                  \
    qi_bcast_cursor c;                                                                                  \
    int64_t len;                                                                                        \
    for (qi_bcast_seek(bc, &c, 0); c.pos < bc->numel; qi_bcast_advance(bc, &c, len)) {                 \
      len = qi_bcast_run_len(bc, &c, bc->numel);                                                        \
      const T *pa = (const T *)a + c.off[0], *pb = (const T *)b + c.off[1];                             \
      T *py = (T *)y + c.pos;                                                                           \
      for (int64_t i = 0; i < len; i++) py[i] = op_##T(op, pa[i * bc->inc[0]], pb[i * bc->inc[1]], fmod, &bad); \
    }                                                                                                   \
  } while (0)

/* int8 / uint8: computed in int32, then wrapped back to 8 bits by the conversion. */
#define QI_NARROW_BINARY_LOOP(T)                                                                        \
  do {                                                                                                  \
    qi_bcast_cursor c;                                                                                  \
    int64_t len;                                                                                        \
    for (qi_bcast_seek(bc, &c, 0); c.pos < bc->numel; qi_bcast_advance(bc, &c, len)) {                 \
      len = qi_bcast_run_len(bc, &c, bc->numel);                                                        \
      const T *pa = (const T *)a + c.off[0], *pb = (const T *)b + c.off[1];                             \
      T *py = (T *)y + c.pos;                                                                           \
      for (int64_t i = 0; i < len; i++)                                                                 \
        py[i] = (T)op_int32_t(op, pa[i * bc->inc[0]], pb[i * bc->inc[1]], fmod, &bad);                  \
    }                                                                                                   \
  } while (0)

/* Element i of a float / int32 / int64 / int8 / uint8 buffer (the dtypes Pow's infer admits). */
static double load_f64(int dtype, const void *p, int64_t i) {
  switch (dtype) {
    case QINFER_DTYPE_FLOAT: return ((const float *)p)[i];
    case QINFER_DTYPE_INT32: return ((const int32_t *)p)[i];
    case QINFER_DTYPE_INT8: return ((const int8_t *)p)[i];
    case QINFER_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    default: return (double)((const int64_t *)p)[i];
  }
}

static int64_t load_i64(int dtype, const void *p, int64_t i) {
  switch (dtype) {
    case QINFER_DTYPE_INT32: return ((const int32_t *)p)[i];
    case QINFER_DTYPE_INT8: return ((const int8_t *)p)[i];
    case QINFER_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

/* Stores an integer result in y's dtype, wrapping like a C conversion of the low bits. */
static void store_i64(int dtype, void *p, int64_t i, int64_t v) {
  switch (dtype) {
    case QINFER_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)(uint32_t)v; break;
    case QINFER_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)(uint8_t)v; break;
    case QINFER_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    default: ((int64_t *)p)[i] = v; break;
  }
}

/* Converts to an integer the way a cast would, but defined for NaN and out-of-range values (0 / saturated). */
static int64_t saturate_i64(double v, int dtype) {
  const double lo = dtype == QINFER_DTYPE_INT32 ? (double)INT32_MIN : -9223372036854775808.0;
  const double hi = dtype == QINFER_DTYPE_INT32 ? (double)INT32_MAX : 9223372036854775807.0;
  if (!(v == v)) return 0;
  if (v <= lo) return dtype == QINFER_DTYPE_INT32 ? INT32_MIN : INT64_MIN;
  if (v >= hi) return dtype == QINFER_DTYPE_INT32 ? INT32_MAX : INT64_MAX;
  return (int64_t)v;
}

/* Pow whose base and exponent types differ; the result has the base's type. */
static void mixed_pow(const qi_bcast *bc, int a_dtype, const void *a, int b_dtype, const void *b, void *y) {
  qi_bcast_cursor c;
  int64_t len;
  const bool int_exponent = b_dtype != QINFER_DTYPE_FLOAT;
  for (qi_bcast_seek(bc, &c, 0); c.pos < bc->numel; qi_bcast_advance(bc, &c, len)) {
    len = qi_bcast_run_len(bc, &c, bc->numel);
    for (int64_t i = 0; i < len; i++) {
      const int64_t ia = c.off[0] + i * bc->inc[0], ib = c.off[1] + i * bc->inc[1], iy = c.pos + i;
      if (a_dtype == QINFER_DTYPE_FLOAT) {
        ((float *)y)[iy] = (float)pow(load_f64(a_dtype, a, ia), load_f64(b_dtype, b, ib));
      } else {
        const int64_t v = int_exponent ? ipow(load_i64(a_dtype, a, ia), load_i64(b_dtype, b, ib))
                                       : saturate_i64(pow(load_f64(a_dtype, a, ia), load_f64(b_dtype, b, ib)),
                                                      a_dtype);
        store_i64(a_dtype, y, iy, v);
      }
    }
  }
}

qi_status qi_math_binary_generic(qi_math_binary_op op, const qi_bcast *bc, int a_dtype, const void *a,
                                 int b_dtype, const void *b, void *y, bool fmod, qi_error *err) {
  if (a_dtype != b_dtype || a_dtype == QINFER_DTYPE_FLOAT) {
    if (op != QI_MATH_POW)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported dtype combination %s and %s",
                     qi_dtype_name(a_dtype), qi_dtype_name(b_dtype));
    mixed_pow(bc, a_dtype, a, b_dtype, b, y);
    return QINFER_OK;
  }
  bool bad = false;
  if (a_dtype == QINFER_DTYPE_INT32)
    QI_INT_BINARY_LOOP(int32_t);
  else if (a_dtype == QINFER_DTYPE_INT64)
    QI_INT_BINARY_LOOP(int64_t);
  else if (a_dtype == QINFER_DTYPE_INT8)
    QI_NARROW_BINARY_LOOP(int8_t);
  else if (a_dtype == QINFER_DTYPE_UINT8)
    QI_NARROW_BINARY_LOOP(uint8_t);
  else
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported dtype %s", qi_dtype_name(a_dtype));
  if (bad) return qi_fail(err, QINFER_ERR_RUNTIME, "integer division by zero");
  return QINFER_OK;
}
