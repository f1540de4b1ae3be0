#include "engine/ops/quant_common.h"

#include <math.h>

#include "engine/ops/nn_common.h"
#include "kernels/requant.h"

void qi_qtype_range(int dtype, int32_t *qmin, int32_t *qmax) {
  switch (dtype) {
    case QINFER_DTYPE_UINT8: *qmin = 0, *qmax = 255; break;
    case QINFER_DTYPE_INT8: *qmin = -128, *qmax = 127; break;
    case QINFER_DTYPE_UINT16: *qmin = 0, *qmax = 65535; break;
    case QINFER_DTYPE_INT16: *qmin = -32768, *qmax = 32767; break;
    case QINFER_DTYPE_UINT4: *qmin = 0, *qmax = 15; break;
    case QINFER_DTYPE_INT4: *qmin = -8, *qmax = 7; break;
    default: *qmin = INT32_MIN, *qmax = INT32_MAX; break;
  }
}

int32_t qi_qparams_zero_point(const qi_qparams *p, int64_t i) {
  if (!p->zero_point) return 0;
  const int64_t k = p->count == 1 ? 0 : i;
  switch (p->dtype) {
    case QINFER_DTYPE_UINT8: return ((const uint8_t *)p->zero_point)[k];
    case QINFER_DTYPE_INT8: return ((const int8_t *)p->zero_point)[k];
    case QINFER_DTYPE_UINT16: return ((const uint16_t *)p->zero_point)[k];
    case QINFER_DTYPE_INT16: return ((const int16_t *)p->zero_point)[k];
    case QINFER_DTYPE_UINT4: case QINFER_DTYPE_INT4: return qi_int4_at(p->zero_point, k, p->dtype);
    default: return ((const int32_t *)p->zero_point)[k];
  }
}

static bool is_qtype(int dtype) {
  return dtype == QINFER_DTYPE_UINT8 || dtype == QINFER_DTYPE_INT8 || dtype == QINFER_DTYPE_INT32 ||
         dtype == QINFER_DTYPE_UINT16 || dtype == QINFER_DTYPE_INT16 || qi_dtype_is_4bit(dtype);
}

qi_status qi_qparams_check_shapes(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, const qi_tensor *data,
                                  int64_t axis, int dflt_dtype, qi_error *err) {
  const qi_tensor *s = qi_node_in(g, n, scale_slot);
  const qi_tensor *z = zp_slot >= 0 ? qi_node_in(g, n, zp_slot) : NULL;
  if (!s) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale input %d is missing", scale_slot);
  if (s->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "scale '%s' has type %s; only float scales are supported", s->name,
                   qi_dtype_name(s->dtype));
  const int64_t count = qi_tensor_numel(s);
  if (s->rank > 1 || count < 1)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "scale '%s' must be a scalar or a 1-D tensor, not rank %d with %lld values",
                   s->name, s->rank, (long long)count);
  if (z) {
    if (!is_qtype(z->dtype))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                          "zero point '%s' has type %s; uint8, int8, uint16, int16, int32, int4 or uint4 expected", z->name,
                          qi_dtype_name(z->dtype));
    if (qi_tensor_numel(z) != count || z->rank != s->rank)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has %lld values but scale '%s' has %lld", z->name,
                     (long long)qi_tensor_numel(z), s->name, (long long)count);
  }
  (void)dflt_dtype;
  if (s->rank == 1 && count > 1) {
    if (!data) return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "per-axis scale '%s' without a data tensor", s->name);
    const int64_t a = axis < 0 ? axis + data->rank : axis;
    if (a < 0 || a >= data->rank)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "axis %lld is out of range for rank %d", (long long)axis,
                     data->rank);
    if (data->dims[a] != count)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "scale '%s' has %lld values but axis %lld of '%s' has length %lld",
                     s->name, (long long)count, (long long)a, data->name, (long long)data->dims[a]);
  }
  return QINFER_OK;
}

qi_status qi_qparams_read(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, const qi_tensor *data,
                          int64_t axis, int dflt_dtype, bool require_const, qi_qparams *out, qi_error *err) {
  QI_CHECK(qi_qparams_check_shapes(g, n, scale_slot, zp_slot, data, axis, dflt_dtype, err));
  const qi_tensor *s = qi_node_in(g, n, scale_slot);
  const qi_tensor *z = zp_slot >= 0 ? qi_node_in(g, n, zp_slot) : NULL;
  if (require_const && (!(s->flags & QI_TF_CONST) || (z && !(z->flags & QI_TF_CONST))))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "scale '%s' and its zero point must be constants", s->name);
  if (!s->data || (z && !z->data))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale '%s' or its zero point has no value", s->name);
  out->count = qi_tensor_numel(s);
  out->axis = -1;
  if (out->count > 1) out->axis = (int)(axis < 0 ? axis + data->rank : axis);
  out->scale = s->data;
  out->zero_point = z ? z->data : NULL;
  out->dtype = z ? z->dtype : dflt_dtype;
  for (int64_t i = 0; i < out->count; i++) {
    const float v = out->scale[i];
    if (!isfinite(v) || v <= 0.0f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "scale '%s'[%lld] is %g; scales must be finite and > 0", s->name,
                     (long long)i, (double)v);
  }
  if (data && data->dtype != out->dtype && is_qtype(data->dtype) && data->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point of '%s' has type %s but the data has type %s", s->name,
                   qi_dtype_name(out->dtype), qi_dtype_name(data->dtype));
  return QINFER_OK;
}

qi_status qi_qparam1_get(qi_graph *g, const qi_node *n, int scale_slot, int zp_slot, int dtype, bool read,
                         qi_qparam1 *out, qi_error *err) {
  const qi_tensor *s = qi_node_in(g, n, scale_slot), *z = zp_slot >= 0 ? qi_node_in(g, n, zp_slot) : NULL;
  if (!s) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale input %d is missing", scale_slot);
  if (s->rank > 1 || qi_tensor_numel(s) != 1)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                        "scale '%s' must hold one value (per-tensor parameters), not %lld", s->name,
                        (long long)qi_tensor_numel(s));
  QI_CHECK(qi_qparams_check_shapes(g, n, scale_slot, zp_slot, NULL, 0, dtype, err));
  if (z && z->dtype != dtype)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has type %s; %s expected", z->name,
                        qi_dtype_name(z->dtype), qi_dtype_name(dtype));
  if (!read) return QINFER_OK;
  qi_qparams qp;
  QI_CHECK(qi_qparams_read(g, n, scale_slot, zp_slot, NULL, 0, dtype, false, &qp, err));
  out->scale = qp.scale[0];
  out->zero_point = qi_qparams_zero_point(&qp, 0);
  return QINFER_OK;
}

qi_status qi_qparam1_get_xy(qi_graph *g, const qi_node *n, bool read, qi_qparam1 p[2], qi_error *err) {
  const int dt = qi_node_in(g, n, 0)->dtype;
  QI_CHECK(qi_qparam1_get(g, n, 1, 2, dt, read, &p[0], err));
  return qi_qparam1_get(g, n, 3, 4, dt, read, &p[1], err);
}

bool qi_qparams_all_const(qi_graph *g, const qi_node *n, uint32_t data_mask) {
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (t && !(i < 32 && (data_mask >> i) & 1u) && !(t->flags & QI_TF_CONST)) return false;
  }
  return true;
}

void qi_qparam1_requant_table(uint8_t table[256], bool s8, qi_qparam1 x, qi_qparam1 y, int32_t qmin, int32_t qmax) {
  for (int b = 0; b < 256; b++) {
    const int32_t q = s8 ? (int32_t)(int8_t)(uint8_t)b : b;
    const float real = (float)(q - x.zero_point) * x.scale;
    table[b] = (uint8_t)qi_quantize_f32(real, y.scale, y.zero_point, qmin, qmax);
  }
}
