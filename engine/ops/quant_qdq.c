/* QuantizeLinear and DequantizeLinear (opsets 10, 13, 19, 21, 23) and DynamicQuantizeLinear (11).
 *
 * Q/DQ: parameters per tensor, per axis (1-D scale along `axis`, 13+) or blocked (block_size > 0, 21+: the
 * scale has x's rank and shape but for ceil(D / block_size) values along `axis`; element j of that axis uses
 * scale j / block_size). Quantized types uint8 and int8, uint16 and int16 (W8A16 models; element by element
 * with the same rule and the 16-bit range), int4 and uint4 (two per byte, low nibble first: their own loops below,
 * over whole bytes so that no two threads write one byte) (DequantizeLinear also int32 with zero point 0); the
 * quantized type of QuantizeLinear is the zero point's, else the output_dtype attribute (21+), else uint8.
 * Scales and zero points may be computed at run time: they are checked for shape at infer and for values
 * (finite, > 0) on every run (at infer already when constant), through engine/ops/quant_common.h.
 *   QuantizeLinear:    y = qi_quantize_f32(x, scale, zp)  (x / scale, half to even, saturate; NaN -> zp)
 *   DequantizeLinear:  y = (float)(x - zp) * scale
 * DynamicQuantizeLinear follows the ONNX definition and ONNX Runtime: the range [min(x, 0), max(x, 0)],
 * scale = (max - min) / 255 (1 when max == min, i.e. an all-zero input), zp = round_half_even(clamp(0 - min /
 * scale, 0, 255)), then QuantizeLinear to uint8.
 * Work is split over elements (runs of one parameter slice each); results do not depend on the split. */
#include <math.h>
#include <string.h>

#include "engine/ops/quant_common.h"
#include "engine/ops/quant_elem.h"
#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/requant.h"

/* ONNX Runtime's com.microsoft QuantizeLinear / DequantizeLinear (what quantizers emit for models below
 * opset 13) take the per-axis `axis` attribute at every version: they behave as the opset 13 ops. */
static int qdq_opset(const qi_node *n) { return strcmp(n->domain, "com.microsoft") == 0 ? 13 : n->opset; }

static bool is_q8(int dt) { return dt == QINFER_DTYPE_UINT8 || dt == QINFER_DTYPE_INT8; }
static bool is_q16(int dt) { return dt == QINFER_DTYPE_UINT16 || dt == QINFER_DTYPE_INT16; }
static bool is_q8_or_4(int dt) { return is_q8(dt) || qi_dtype_is_4bit(dt); }

/* Where the parameters of element i of x are: per tensor (axis_len 1, inner = numel), per axis (slice
 * (i / inner) % axis_len) or blocked (scale index (o * blocks + c / block) * inner + i % inner). */
typedef struct qdq_layout {
  int64_t axis_len, inner, block, blocks;
  qi_qparams qp; /* scales and zero points (count > 1 for per axis and blocked) */
} qdq_layout;

/* Blocked parameters: shapes (always) and, with read, the values. */
static qi_status blocked_params(qi_graph *g, const qi_node *n, const qi_tensor *x, int64_t axis, int64_t block,
                                int dflt_dtype, bool read, qdq_layout *out, qi_error *err) {
  const qi_tensor *s = qi_node_in(g, n, 1), *z = qi_node_in(g, n, 2);
  if (s->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "scale '%s' has type %s; only float scales are supported",
                        s->name, qi_dtype_name(s->dtype));
  const int64_t a = axis < 0 ? axis + x->rank : axis;
  if (a < 0 || a >= x->rank)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "axis %lld is out of range for rank %d of '%s'",
                        (long long)axis, x->rank, x->name);
  if (s->rank != x->rank)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                        "blocked quantization: scale '%s' has rank %d but '%s' has rank %d", s->name, s->rank,
                        x->name, x->rank);
  const int64_t want = (x->dims[a] + block - 1) / block;
  for (int d = 0; d < x->rank; d++) {
    if (d == a && s->dims[d] != want)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                          "block_size %lld does not fit: axis %lld of '%s' has length %lld, so scale '%s' needs "
                          "ceil(%lld / %lld) = %lld values along it, not %lld",
                          (long long)block, (long long)a, x->name, (long long)x->dims[a], s->name,
                          (long long)x->dims[a], (long long)block, (long long)want, (long long)s->dims[d]);
    if (d != a && s->dims[d] != x->dims[d])
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                          "blocked quantization: scale '%s' dimension %d is %lld but '%s' has %lld", s->name, d,
                          (long long)s->dims[d], x->name, (long long)x->dims[d]);
  }
  if (z) {
    if (!is_q8_or_4(z->dtype) && !is_q16(z->dtype) && z->dtype != QINFER_DTYPE_INT32)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                          "zero point '%s' has type %s; uint8, int8, uint16, int16, int4, uint4 or int32 expected",
                          z->name, qi_dtype_name(z->dtype));
    if (z->rank != s->rank || memcmp(z->dims, s->dims, sizeof(int64_t) * (size_t)s->rank) != 0)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' and scale '%s' have different shapes",
                          z->name, s->name);
  }
  int64_t inner = 1;
  for (int d = (int)a + 1; d < x->rank; d++) inner *= x->dims[d];
  *out = (qdq_layout){.axis_len = x->dims[a], .inner = inner, .block = block, .blocks = want};
  out->qp = (qi_qparams){.dtype = z ? z->dtype : dflt_dtype, .count = qi_tensor_numel(s), .axis = (int)a};
  if (!read) return QINFER_OK;
  if (!s->data || (z && !z->data))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale '%s' or its zero point has no value", s->name);
  out->qp.scale = s->data;
  out->qp.zero_point = z ? z->data : NULL;
  for (int64_t i = 0; i < out->qp.count; i++)
    if (!isfinite(out->qp.scale[i]) || out->qp.scale[i] <= 0.0f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "scale '%s'[%lld] is %g; scales must be finite and > 0",
                          s->name, (long long)i, (double)out->qp.scale[i]);
  return QINFER_OK;
}

/* The parameters of a Q/DQ node: shapes only (read == false, infer) or with checked values (run). */
static qi_status qdq_params(qi_graph *g, const qi_node *n, const qi_tensor *x, int dflt_dtype, bool read,
                            qdq_layout *out, qi_error *err) {
  const int64_t axis = qdq_opset(n) >= 13 ? qi_attr_int(n, "axis", 1) : 1;
  const int64_t block = qdq_opset(n) >= 21 ? qi_attr_int(n, "block_size", 0) : 0;
  if (block < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "block_size %lld is negative", (long long)block);
  const qi_tensor *s = qi_node_in(g, n, 1);
  if (!s) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "the scale input is missing");
  if (block > 0) QI_CHECK(blocked_params(g, n, x, axis, block, dflt_dtype, read, out, err));
  else {
    if (read)
      QI_CHECK(qi_qparams_read(g, n, 1, 2, x, axis, dflt_dtype, false, &out->qp, err));
    else
      QI_CHECK(qi_qparams_check_shapes(g, n, 1, 2, x, axis, dflt_dtype, err));
    const qi_tensor *z = qi_node_in(g, n, 2);
    if (!read) out->qp = (qi_qparams){.dtype = z ? z->dtype : dflt_dtype, .count = qi_tensor_numel(s)};
    out->block = out->blocks = 0;
    if (out->qp.count > 1) {
      const int64_t a = axis < 0 ? axis + x->rank : axis;
      out->axis_len = x->dims[a];
      out->inner = 1;
      for (int d = (int)a + 1; d < x->rank; d++) out->inner *= x->dims[d];
    } else {
      out->axis_len = 1;
      out->inner = qi_tensor_numel(x) > 0 ? qi_tensor_numel(x) : 1;
    }
  }
  const qi_tensor *z = qi_node_in(g, n, 2);
  if (read && out->qp.dtype == QINFER_DTYPE_INT32 && z) {
    for (int64_t i = 0; i < out->qp.count; i++)
      if (qi_qparams_zero_point(&out->qp, i) != 0)
        return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                            "zero point '%s'[%lld] is %d; int32 DequantizeLinear needs zero points of 0", z->name,
                            (long long)i, (int)qi_qparams_zero_point(&out->qp, i));
  }
  return QINFER_OK;
}

static bool all_const(qi_graph *g, const qi_node *n, int first, int last) {
  for (int i = first; i <= last; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (t && !(t->flags & QI_TF_CONST)) return false;
  }
  return true;
}

/* Runs of one parameter slice shorter than this (per axis along an inner axis, e.g. the columns of a MatMul
 * weight) are computed element by element rather than by one kernel call each. */
#define QDQ_MIN_RUN 16

/* Scale index of element i, given its row i / inner. */
static inline int64_t param_index(const qdq_layout *l, int64_t row, int64_t i) {
  const int64_t c = row % l->axis_len;
  if (!l->block) return c;
  return ((row / l->axis_len) * l->blocks + c / l->block) * l->inner + i % l->inner;
}

typedef struct qdq_task {
  qdq_layout l;
  int qdtype; /* the quantized type */
  int32_t qmin, qmax;
  const qi_qu8_quantize_config *k;
  const void *x;
  void *y;
} qdq_task;

static void quantize_chunk(void *arg, size_t begin, size_t end) {
  const qdq_task *t = arg;
  const qdq_layout *l = &t->l;
  const float *x = t->x;
  uint8_t *y = t->y;
  const bool s8 = t->qdtype == QINFER_DTYPE_INT8;
  for (int64_t i = (int64_t)begin; i < (int64_t)end;) {
    const int64_t row = i / l->inner;
    const int64_t stop = (row + 1) * l->inner < (int64_t)end ? (row + 1) * l->inner : (int64_t)end;
    if (!l->block && l->inner >= QDQ_MIN_RUN) {
      const int64_t c = param_index(l, row, i);
      const qi_qu8_quantize_params p =
          t->k->init_params(t->k->x_domain, qi_qparams_scale(&l->qp, c), qi_qparams_zero_point(&l->qp, c), t->qmin,
                            t->qmax, s8);
      t->k->quantize((size_t)(stop - i), x + i, y + i, &p);
    } else {
      for (int64_t j = i; j < stop; j++) {
        const int64_t c = param_index(l, row, j);
        const int32_t q = qi_quantize_f32(x[j], qi_qparams_scale(&l->qp, c), qi_qparams_zero_point(&l->qp, c),
                                          t->qmin, t->qmax);
        y[j] = (uint8_t)q; /* int8: the two's complement byte */
      }
    }
    i = stop;
  }
}

static void dequantize_chunk(void *arg, size_t begin, size_t end) {
  const qdq_task *t = arg;
  const qdq_layout *l = &t->l;
  float *y = t->y;
  const bool s8 = t->qdtype == QINFER_DTYPE_INT8;
  for (int64_t i = (int64_t)begin; i < (int64_t)end;) {
    const int64_t row = i / l->inner;
    const int64_t stop = (row + 1) * l->inner < (int64_t)end ? (row + 1) * l->inner : (int64_t)end;
    if (!l->block && l->inner >= QDQ_MIN_RUN && t->qdtype != QINFER_DTYPE_INT32) {
      const int64_t c = param_index(l, row, i);
      const qi_qu8_quantize_params p =
          t->k->init_params(t->k->x_domain, qi_qparams_scale(&l->qp, c), qi_qparams_zero_point(&l->qp, c), 0, 0, s8);
      t->k->dequantize((size_t)(stop - i), (const uint8_t *)t->x + i, y + i, &p);
    } else {
      for (int64_t j = i; j < stop; j++) {
        const int64_t c = param_index(l, row, j);
        int32_t q;
        switch (t->qdtype) {
          case QINFER_DTYPE_UINT8: q = ((const uint8_t *)t->x)[j]; break;
          case QINFER_DTYPE_INT8: q = ((const int8_t *)t->x)[j]; break;
          default: q = ((const int32_t *)t->x)[j]; break;
        }
        /* int32: the zero point is 0, so q - zp cannot overflow */
        y[j] = (float)(q - qi_qparams_zero_point(&l->qp, c)) * qi_qparams_scale(&l->qp, c);
      }
    }
    i = stop;
  }
}

/* ---- 16-bit quantized types (uint16 / int16): element by element, the rule of the 8-bit scalar path ---- */

static void quantize_chunk16(void *arg, size_t begin, size_t end) {
  const qdq_task *t = arg;
  const float *x = t->x;
  uint16_t *y = t->y;
  if (t->l.qp.count == 1) { /* per tensor: one parameter pair, no index per element */
    const float s = qi_qparams_scale(&t->l.qp, 0);
    const int32_t zp = qi_qparams_zero_point(&t->l.qp, 0);
    for (size_t j = begin; j < end; j++) y[j] = (uint16_t)qi_quantize_f32(x[j], s, zp, t->qmin, t->qmax);
    return;
  }
  for (int64_t j = (int64_t)begin; j < (int64_t)end; j++) {
    const int64_t c = param_index(&t->l, j / t->l.inner, j);
    const int32_t q = qi_quantize_f32(x[j], qi_qparams_scale(&t->l.qp, c), qi_qparams_zero_point(&t->l.qp, c),
                                      t->qmin, t->qmax);
    y[j] = (uint16_t)q; /* int16: the two's complement pattern */
  }
}

/* (q - zp) is exact in int32 and in float (|q - zp| < 2^17), then one multiply, as for 8 bits */
static void dequantize_chunk16(void *arg, size_t begin, size_t end) {
  const qdq_task *t = arg;
  float *y = t->y;
  const bool s16 = t->qdtype == QINFER_DTYPE_INT16;
  if (t->l.qp.count == 1) {
    const float s = qi_qparams_scale(&t->l.qp, 0);
    const int32_t zp = qi_qparams_zero_point(&t->l.qp, 0);
    if (s16)
      for (size_t j = begin; j < end; j++) y[j] = (float)(((const int16_t *)t->x)[j] - zp) * s;
    else
      for (size_t j = begin; j < end; j++) y[j] = (float)(((const uint16_t *)t->x)[j] - zp) * s;
    return;
  }
  for (int64_t j = (int64_t)begin; j < (int64_t)end; j++) {
    const int64_t c = param_index(&t->l, j / t->l.inner, j);
    const int32_t q = s16 ? ((const int16_t *)t->x)[j] : ((const uint16_t *)t->x)[j];
    y[j] = (float)(q - qi_qparams_zero_point(&t->l.qp, c)) * qi_qparams_scale(&t->l.qp, c);
  }
}

/* 4-bit tensors: the loops run over bytes [begin, end), elements 2 * begin .. 2 * end (clipped to the count),
 * so each byte is written by one thread. Same formulas as the 8-bit loops. */
typedef struct qdq4_task {
  qdq_task t;
  int64_t count; /* elements */
} qdq4_task;

static void quantize4_chunk(void *arg, size_t begin, size_t end) {
  const qdq4_task *t4 = arg;
  const qdq_task *t = &t4->t;
  const float *x = t->x;
  uint8_t *y = t->y;
  for (int64_t b = (int64_t)begin; b < (int64_t)end; b++) {
    uint8_t byte = 0;
    for (int64_t j = 2 * b; j < 2 * b + 2 && j < t4->count; j++) {
      const int64_t c = param_index(&t->l, j / t->l.inner, j);
      const int32_t q = qi_quantize_f32(x[j], qi_qparams_scale(&t->l.qp, c), qi_qparams_zero_point(&t->l.qp, c),
                                        t->qmin, t->qmax);
      byte |= (uint8_t)((q & 15) << ((j & 1) * 4)); /* the high nibble of an odd count's last byte stays 0 */
    }
    y[b] = byte;
  }
}

static void dequantize4_chunk(void *arg, size_t begin, size_t end) {
  const qdq4_task *t4 = arg;
  const qdq_task *t = &t4->t;
  float *y = t->y;
  const int64_t stop = 2 * (int64_t)end < t4->count ? 2 * (int64_t)end : t4->count;
  for (int64_t j = 2 * (int64_t)begin; j < stop; j++) {
    const int64_t c = param_index(&t->l, j / t->l.inner, j);
    y[j] = (float)(qi_int4_at(t->x, j, t->qdtype) - qi_qparams_zero_point(&t->l.qp, c)) * qi_qparams_scale(&t->l.qp, c);
  }
}

static qi_threadpool *pool_of(const qi_exec_ctx *ctx) { return ctx ? ctx->pool : NULL; }

/* Runs a Q / DQ task over x's elements, by bytes when the quantized type is 4-bit. */
static void qdq_run(qi_threadpool *pool, qdq_task *t, int64_t count, bool quantize) {
  if (qi_dtype_is_4bit(t->qdtype)) {
    qdq4_task t4 = {*t, count};
    qi_parallel_for(pool, qi_dtype_bytes(t->qdtype, (size_t)count), QI_QUANT_GRAIN / 2,
                    quantize ? quantize4_chunk : dequantize4_chunk, &t4);
    return;
  }
  if (is_q16(t->qdtype)) {
    qi_parallel_for(pool, (size_t)count, QI_QUANT_GRAIN, quantize ? quantize_chunk16 : dequantize_chunk16, t);
    return;
  }
  qi_parallel_for(pool, (size_t)count, QI_QUANT_GRAIN, quantize ? quantize_chunk : dequantize_chunk, t);
}

static qi_status check_arity(qi_graph *g, const qi_node *n, int min_in, int max_in, int n_out, qi_error *err) {
  if (n->n_inputs < min_in || n->n_inputs > max_in)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected %d to %d inputs, got %d", min_in, max_in,
                        n->n_inputs);
  for (int i = 0; i < min_in; i++)
    if (!qi_node_in(g, n, i)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
  for (int i = 0; i < n_out; i++)
    if (!qi_node_out(g, n, i)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output %d is missing", i);
  return QINFER_OK;
}

/* ---- QuantizeLinear ---- */

static qi_status quantize_out_dtype(qi_graph *g, const qi_node *n, int *out, qi_error *err) {
  const qi_tensor *z = qi_node_in(g, n, 2);
  const int64_t odt = qdq_opset(n) >= 21 ? qi_attr_int(n, "output_dtype", 0) : 0;
  if (z && odt && odt != z->dtype)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output_dtype %lld differs from the zero point's type %s",
                        (long long)odt, qi_dtype_name(z->dtype));
  const int dt = z ? z->dtype : odt ? (int)odt : QINFER_DTYPE_UINT8;
  if (z && (z->dtype == QINFER_DTYPE_FLOAT || z->dtype == QINFER_DTYPE_DOUBLE || z->dtype == QINFER_DTYPE_BOOL))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has type %s; an integer type expected",
                        z->name, qi_dtype_name(z->dtype));
  if (!is_q8_or_4(dt) && !is_q16(dt))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "quantizing to type %d (%s) is not supported; uint8, int8, uint16, int16, uint4 and int4 are", dt,
                        qi_dtype_name(dt));
  *out = dt;
  return QINFER_OK;
}

qi_status qi_quant_QuantizeLinear_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(check_arity(g, n, 2, 3, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (x->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; only float is supported", x->name,
                        qi_dtype_name(x->dtype));
  const int64_t precision = qi_attr_int(n, "precision", 0);
  if (precision != 0 && precision != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "precision %lld is not supported (float only)",
                        (long long)precision);
  int dt = 0;
  QI_CHECK(quantize_out_dtype(g, n, &dt, err));
  qdq_layout l;
  QI_CHECK(qdq_params(g, n, x, dt, all_const(g, n, 1, 2), &l, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), dt, x->rank, x->dims);
  return QINFER_OK;
}

qi_status qi_quant_QuantizeLinear_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)g, (void)n, (void)err;
  rt->kernel = qi_qu8_quantize_config_get(rt->isa)->quantize_name;
  return QINFER_OK;
}

qi_status qi_quant_QuantizeLinear_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  qdq_task t = {.qdtype = y->dtype, .k = qi_qu8_quantize_config_get(rt->isa), .x = x->data, .y = y->data};
  QI_CHECK(qdq_params(g, n, x, y->dtype, true, &t.l, err));
  qi_qtype_range(y->dtype, &t.qmin, &t.qmax);
  qdq_run(pool_of(ctx), &t, qi_tensor_numel(x), true);
  return QINFER_OK;
}

void qi_quant_QuantizeLinear_release(qi_node_rt *rt) { (void)rt; }

/* ---- DequantizeLinear ---- */

qi_status qi_quant_DequantizeLinear_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(check_arity(g, n, 2, 3, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *z = qi_node_in(g, n, 2);
  if (!is_q8_or_4(x->dtype) && !is_q16(x->dtype) && x->dtype != QINFER_DTYPE_INT32)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "input '%s' has type %s; uint8, int8, uint16, int16, int4, uint4 and int32 are supported", x->name,
                        qi_dtype_name(x->dtype));
  if (z && z->dtype != x->dtype)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has type %s but input '%s' has type %s",
                        z->name, qi_dtype_name(z->dtype), x->name, qi_dtype_name(x->dtype));
  const int64_t odt = qi_attr_int(n, "output_dtype", 0);
  if (odt != 0 && odt != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "output_dtype %lld is not supported (float only)",
                        (long long)odt);
  qdq_layout l;
  QI_CHECK(qdq_params(g, n, x, x->dtype, all_const(g, n, 1, 2), &l, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), QINFER_DTYPE_FLOAT, x->rank, x->dims);
  return QINFER_OK;
}

qi_status qi_quant_DequantizeLinear_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)err;
  if (is_q8(qi_node_in(g, n, 0)->dtype)) rt->kernel = qi_qu8_quantize_config_get(rt->isa)->dequantize_name;
  return QINFER_OK;
}

qi_status qi_quant_DequantizeLinear_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qdq_task t = {.qdtype = x->dtype, .k = qi_qu8_quantize_config_get(rt->isa), .x = x->data,
                .y = qi_node_out(g, n, 0)->data};
  QI_CHECK(qdq_params(g, n, x, x->dtype, true, &t.l, err));
  qdq_run(pool_of(ctx), &t, qi_tensor_numel(x), false);
  return QINFER_OK;
}

void qi_quant_DequantizeLinear_release(qi_node_rt *rt) { (void)rt; }

/* ---- DynamicQuantizeLinear ---- */

qi_status qi_quant_DynamicQuantizeLinear_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(check_arity(g, n, 1, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (x->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; only float is supported", x->name,
                        qi_dtype_name(x->dtype));
  qi_tensor_set_shape(qi_node_out(g, n, 0), QINFER_DTYPE_UINT8, x->rank, x->dims);
  if (qi_node_out(g, n, 1)) qi_tensor_set_shape(qi_node_out(g, n, 1), QINFER_DTYPE_FLOAT, 0, NULL);
  if (qi_node_out(g, n, 2)) qi_tensor_set_shape(qi_node_out(g, n, 2), QINFER_DTYPE_UINT8, 0, NULL);
  return QINFER_OK;
}

qi_status qi_quant_DynamicQuantizeLinear_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)g, (void)n, (void)err;
  return QINFER_OK;
}

void qi_dynamic_quantize_u8(const float *x, int64_t count, uint8_t *y, float *scale, uint8_t *zero_point, qi_isa isa,
                            qi_threadpool *pool) {
  /* the range always includes 0; eight independent lanes (NaN skipped, as by one pass: min / max of the same
   * values in another order) */
  float lo8[8] = {0}, hi8[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int j = 0; j < 8; j++) {
      lo8[j] = x[i + j] < lo8[j] ? x[i + j] : lo8[j];
      hi8[j] = x[i + j] > hi8[j] ? x[i + j] : hi8[j];
    }
  for (; i < count; i++) {
    lo8[0] = x[i] < lo8[0] ? x[i] : lo8[0];
    hi8[0] = x[i] > hi8[0] ? x[i] : hi8[0];
  }
  float lo = 0.0f, hi = 0.0f;
  for (int j = 0; j < 8; j++) {
    lo = lo8[j] < lo ? lo8[j] : lo;
    hi = hi8[j] > hi ? hi8[j] : hi;
  }
  const float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  float zpf = 0.0f - lo / s;
  zpf = zpf < 0.0f ? 0.0f : zpf > 255.0f ? 255.0f : zpf;
  const uint8_t zp8 = (uint8_t)lrintf(zpf);
  qdq_task t = {.qdtype = QINFER_DTYPE_UINT8, .qmin = 0, .qmax = 255, .k = qi_qu8_quantize_config_get(isa),
                .x = x, .y = y};
  t.l = (qdq_layout){.axis_len = 1, .inner = count > 0 ? count : 1};
  t.l.qp = (qi_qparams){.dtype = QINFER_DTYPE_UINT8, .count = 1, .axis = -1, .scale = &s, .zero_point = &zp8};
  qi_parallel_for(pool, (size_t)count, QI_QUANT_GRAIN, quantize_chunk, &t);
  *scale = s;
  *zero_point = zp8;
}

qi_status qi_quant_DynamicQuantizeLinear_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  float scale;
  uint8_t zp;
  qi_dynamic_quantize_u8(x->data, qi_tensor_numel(x), qi_node_out(g, n, 0)->data, &scale, &zp, rt->isa, pool_of(ctx));
  qi_tensor *ys = qi_node_out(g, n, 1), *yz = qi_node_out(g, n, 2);
  if (ys) *(float *)ys->data = scale;
  if (yz) *(uint8_t *)yz->data = zp;
  return QINFER_OK;
}

void qi_quant_DynamicQuantizeLinear_release(qi_node_rt *rt) { (void)rt; }
