/* Cast and CastLike between bool, the integer types, float16, float and double.
 *
 * Conversion rules (those of C and of numpy's astype, which the ONNX reference uses), with the undefined
 * cases of C made definite:
 *   - integer -> integer: two's-complement wrap-around (C conversion to unsigned; signed likewise).
 *   - float -> integer: truncation toward zero; NaN -> 0; values beyond the target range saturate.
 *   - anything -> bool: non-zero -> 1 (NaN is non-zero).
 *   - -> float16: round to nearest even, overflow to infinity. -> float: nearest, from int64 directly.
 * Strings are unsupported. */
#include <math.h>
#include <string.h>

#include "engine/ops/tensor_common.h"

static bool cast_supported(int dt) {
  return dt == QINFER_DTYPE_FLOAT || dt == QINFER_DTYPE_DOUBLE || dt == QINFER_DTYPE_FLOAT16 ||
         qi_tops_is_int_dtype(dt);
}

static bool is_float_dtype(int dt) {
  return dt == QINFER_DTYPE_FLOAT || dt == QINFER_DTYPE_DOUBLE || dt == QINFER_DTYPE_FLOAT16;
}

/* float -> int64 with truncation, NaN -> 0 and saturation at [lo, hi] */
static int64_t sat_trunc(double v, double lo, double hi, int64_t ilo, int64_t ihi) {
  if (isnan(v)) return 0;
  if (v <= lo) return ilo;
  if (v >= hi) return ihi;
  return (int64_t)v;
}

static void store_int(void *dst, int dt, int64_t i, int64_t v) {
  switch (dt) {
    case QINFER_DTYPE_BOOL: ((uint8_t *)dst)[i] = v != 0; break;
    case QINFER_DTYPE_UINT8: ((uint8_t *)dst)[i] = (uint8_t)v; break;
    case QINFER_DTYPE_INT8: ((int8_t *)dst)[i] = (int8_t)v; break;
    case QINFER_DTYPE_UINT16: ((uint16_t *)dst)[i] = (uint16_t)v; break;
    case QINFER_DTYPE_INT16: ((int16_t *)dst)[i] = (int16_t)v; break;
    case QINFER_DTYPE_UINT32: ((uint32_t *)dst)[i] = (uint32_t)v; break;
    case QINFER_DTYPE_INT32: ((int32_t *)dst)[i] = (int32_t)v; break;
    case QINFER_DTYPE_UINT64: ((uint64_t *)dst)[i] = (uint64_t)v; break;
    default: ((int64_t *)dst)[i] = v; break;
  }
}

static void store_float(void *dst, int dt, int64_t i, double v) {
  switch (dt) {
    case QINFER_DTYPE_FLOAT: ((float *)dst)[i] = (float)v; break;
    case QINFER_DTYPE_DOUBLE: ((double *)dst)[i] = v; break;
    case QINFER_DTYPE_FLOAT16: ((uint16_t *)dst)[i] = qi_tops_f32_to_f16((float)v); break;
    case QINFER_DTYPE_BOOL: ((uint8_t *)dst)[i] = v != 0.0 || isnan(v); break;
    case QINFER_DTYPE_UINT8: ((uint8_t *)dst)[i] = (uint8_t)sat_trunc(v, 0, 255, 0, 255); break;
    case QINFER_DTYPE_INT8: ((int8_t *)dst)[i] = (int8_t)sat_trunc(v, -128, 127, -128, 127); break;
    case QINFER_DTYPE_UINT16: ((uint16_t *)dst)[i] = (uint16_t)sat_trunc(v, 0, 65535, 0, 65535); break;
    case QINFER_DTYPE_INT16: ((int16_t *)dst)[i] = (int16_t)sat_trunc(v, -32768, 32767, -32768, 32767); break;
    case QINFER_DTYPE_UINT32:
      ((uint32_t *)dst)[i] = (uint32_t)sat_trunc(v, 0, 4294967295.0, 0, 4294967295LL);
      break;
    case QINFER_DTYPE_INT32:
      ((int32_t *)dst)[i] = (int32_t)sat_trunc(v, -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX);
      break;
    case QINFER_DTYPE_UINT64:
      if (isnan(v) || v <= 0) ((uint64_t *)dst)[i] = 0;
      else if (v >= 18446744073709551616.0) ((uint64_t *)dst)[i] = UINT64_MAX;
      else ((uint64_t *)dst)[i] = (uint64_t)v;
      break;
    default: /* int64: 2^63 is the first double out of range */
      ((int64_t *)dst)[i] = isnan(v) ? 0 : v >= 9223372036854775808.0 ? INT64_MAX
                                         : v < -9223372036854775808.0 ? INT64_MIN : (int64_t)v;
      break;
  }
}

static void cast_values(void *dst, int dt, const void *src, int st, int64_t count) {
  if (dt == st) {
    memcpy(dst, src, (size_t)count * qi_dtype_size(dt));
    return;
  }
  /* hot pairs first */
  if (st == QINFER_DTYPE_INT64 && dt == QINFER_DTYPE_FLOAT) {
    for (int64_t i = 0; i < count; i++) ((float *)dst)[i] = (float)((const int64_t *)src)[i];
    return;
  }
  if (st == QINFER_DTYPE_UINT64 && is_float_dtype(dt)) {
    for (int64_t i = 0; i < count; i++) {
      uint64_t u = ((const uint64_t *)src)[i];
      if (dt == QINFER_DTYPE_FLOAT) ((float *)dst)[i] = (float)u;
      else store_float(dst, dt, i, (double)u);
    }
    return;
  }
  if (is_float_dtype(st)) {
    for (int64_t i = 0; i < count; i++) store_float(dst, dt, i, qi_tops_float_at(src, st, i));
  } else if (is_float_dtype(dt)) {
    for (int64_t i = 0; i < count; i++) store_float(dst, dt, i, (double)qi_tops_int_at(src, st, i));
  } else {
    for (int64_t i = 0; i < count; i++) store_int(dst, dt, i, qi_tops_int_at(src, st, i));
  }
}

static qi_status cast_infer_to(qi_graph *g, qi_node *n, int to, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (!cast_supported(x->dtype) || !cast_supported(to))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "cast from %s to %s is unsupported", qi_dtype_name(x->dtype),
                        qi_dtype_name(to));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), to, x->rank, x->dims, err);
}

qi_status qi_tops_cast_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 1, 1, 1, err));
  const qi_attr *to = qi_node_attr(n, "to");
  if (!to || to->type != QI_ATTR_INT)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute 'to' is required");
  if (to->i < 0 || to->i > 64) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unknown type %lld", (long long)to->i);
  return cast_infer_to(g, n, (int)to->i, err);
}

qi_status qi_tops_cast_like_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, 2, 2, 1, err));
  return cast_infer_to(g, n, qi_node_in(g, n, 1)->dtype, err);
}

qi_status qi_tops_cast_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  cast_values(y->data, y->dtype, x->data, x->dtype, qi_tensor_numel(x));
  return QINFER_OK;
}

qi_status qi_tops_cast_like_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qi_tops_cast_run(g, n, rt, ctx, err);
}
