/* The QDQ rewrite of a planned graph (engine/quant/quantize.h).
 *
 * Activation t (quantized in the plan):   producer -> t -> QuantizeLinear -> t_quantized -> DequantizeLinear
 *                                          -> t_dequantized -> every former reader of t
 *   A graph output keeps its name on the DequantizeLinear's output; the producer then writes t_prequant.
 * Weights of Conv / Gemm / MatMul: int8, symmetric ([-127, 127], zero point 0, left out of the
 *   DequantizeLinear as the spec allows: it saves a byte per channel), one scale per output channel
 *   (Conv axis 0, MatMul B axis 1, Gemm B axis 1 or 0 with transB) or one per tensor; scale = max|w| / 127.
 * Biases of Conv / Gemm: int32 at scale x_scale * w_scale[c] (the product in float, as the runtime forms it),
 *   zero point 0, so the integer runtime adds them to the accumulator unchanged.
 * Constant float operands of Add / Mul: quantized like an activation from their own min / max.
 * QuantizeLinear / DequantizeLinear come from the default domain when the model's opset is >= 13 (per-axis
 * needs 13; the quantizer upgrades models below 13 first), else (a graph without a default-domain import) from
 * ONNX Runtime's com.microsoft domain, which has them at every opset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "kernels/requant.h"
#include "engine/quant/quantize.h"
#include "engine/quant/gptq_collect.h"
#include "engine/quant/weight_importance.h"
#include "engine/quant/weights.h"
#include "engine/quant/writer/opset_upgrade.h"

/* The integer range an activation of dtype is quantized to: int16 symmetric [-32767, 32767] (zero point 0, as
 * ONNX Runtime's quantizer writes int16 activations), the others their whole range. */
static void act_range(int dtype, int32_t *qmin, int32_t *qmax) {
  switch (dtype) {
    case QINFER_DTYPE_INT8: *qmin = -128, *qmax = 127; return;
    case QINFER_DTYPE_INT16: *qmin = -32767, *qmax = 32767; return;
    case QINFER_DTYPE_UINT16: *qmin = 0, *qmax = 65535; return;
    default: *qmin = 0, *qmax = 255; return;
  }
}

void qz_act_params(float rmin, float rmax, int dtype, float *scale, int32_t *zero_point) {
  int32_t qmin, qmax;
  act_range(dtype, &qmin, &qmax);
  if (!(rmin <= 0.f)) rmin = 0.f; /* NaN-safe: the range always holds 0, so zero is exact */
  if (!(rmax >= 0.f)) rmax = 0.f;
  if (dtype == QINFER_DTYPE_INT16) { /* symmetric: [-max|r|, max|r|] */
    rmax = -rmin > rmax ? -rmin : rmax;
    rmin = -rmax;
  }
  float s = (rmax - rmin) / (float)(qmax - qmin);
  if (!(s > 0.f) || !isfinite(s)) s = 1.f;
  double z = (double)qmin - (double)rmin / s;
  z = nearbyint(z);
  *scale = s;
  *zero_point = (int32_t)(z < qmin ? qmin : (z > qmax ? qmax : z));
}

typedef struct rw {
  qi_graph *g;
  const qz_options *o;
  const char *domain; /* of QuantizeLinear / DequantizeLinear */
  qz_report *rep;
  qi_error *err;
} rw;

static int new_tensor(rw *r, const char *base, const char *suffix) {
  const int t = qi_graph_add_unique_tensor(r->g, base, suffix);
  if (t < 0) qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  return t;
}

static int new_const(rw *r, const char *base, const char *suffix, int dtype, int rank, const int64_t *dims,
                     const void *data) {
  const int t = new_tensor(r, base, suffix);
  if (t < 0 || qi_tensor_set_const_copy(&r->g->tensors[t], dtype, rank, dims, data, r->err) != QINFER_OK) return -1;
  return t;
}

/* Scale and zero-point constants for per-tensor parameters (scalars). */
static bool scalar_params(rw *r, const char *base, float scale, int32_t zp, int dtype, int *ts, int *tz) {
  const int8_t z8 = (int8_t)zp;
  const uint8_t zu8 = (uint8_t)zp;
  const uint16_t z16 = (uint16_t)zp; /* int16: the two's complement pattern */
  *ts = new_const(r, base, "_scale", QINFER_DTYPE_FLOAT, 0, NULL, &scale);
  const void *z = dtype == QINFER_DTYPE_INT8 ? (const void *)&z8
                : dtype == QINFER_DTYPE_UINT8 ? (const void *)&zu8 : (const void *)&z16;
  *tz = new_const(r, base, "_zero_point", dtype, 0, NULL, z);
  return *ts >= 0 && *tz >= 0;
}

/* A QuantizeLinear / DequantizeLinear node, unnamed (names are optional; its tensors carry the names). */
static int add_node(rw *r, const char *type, const int *ins, int n_ins, int out, int axis) {
  const int ni = qi_graph_add_node(r->g, type, r->domain, ins, n_ins, &out, 1);
  if (ni < 0) {
    qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  if (axis >= 0) {
    qi_attr *a = qi_node_add_attr(r->g, ni, "axis", QI_ATTR_INT);
    if (!a) return -1;
    a->i = axis;
  }
  return ni;
}

/* Replaces every read of tensor `from` by `to` in live nodes other than `except`. */
static void redirect_readers(qi_graph *g, int from, int to, int except) {
  for (int i = 0; i < g->n_nodes; i++) {
    qi_node *n = &g->nodes[i];
    for (int k = 0; i != except && !n->dead && k < n->n_inputs; k++)
      if (n->inputs[k] == from) n->inputs[k] = to;
  }
}

/* dst gets dtype and, when src's shape is known, src's shape (the output graph keeps unknown shapes unknown). */
static void shape_like(qi_tensor *dst, int dtype, const qi_tensor *src) {
  if (src->rank >= 0) qi_tensor_set_shape(dst, dtype, src->rank, src->dims);
  else dst->dtype = dtype;
}

/* A float activation, or one whose type the output graph does not know (no shape inference there). */
static bool maybe_float(const qi_tensor *t) {
  return t->dtype == QINFER_DTYPE_FLOAT || t->dtype == QINFER_DTYPE_UNDEFINED;
}

static bool is_graph_output(const qi_graph *g, int t) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] == t) return true;
  return false;
}

/* QuantizeLinear -> DequantizeLinear after activation t. */
static qi_status quantize_activation(rw *r, int t, int dtype, float scale, int32_t zp) {
  qi_graph *g = r->g;
  /* Short names (qdq<k>_quantized, ...): every name is written once per reader, and with an activation's full
   * name they made up 5 % of a transformer's INT8 file. The QuantizeLinear reads t itself, so tools map
   * qdq<k> back to t (qinfer compare does). */
  char base[600];
  snprintf(base, sizeof base, "qdq%d", r->rep->activations);
  int ts, tz;
  if (!scalar_params(r, base, scale, zp, dtype, &ts, &tz)) return r->err->code;
  const int tq = new_tensor(r, base, "_quantized");
  if (tq < 0) return r->err->code;
  shape_like(&g->tensors[tq], dtype, &g->tensors[t]);
  int src = t, dst;
  if (is_graph_output(g, t)) {
    /* the producer writes t_prequant; the DequantizeLinear's output keeps t's name (and index) */
    if ((src = new_tensor(r, base, "_prequant")) < 0) return r->err->code;
    shape_like(&g->tensors[src], QINFER_DTYPE_FLOAT, &g->tensors[t]);
    const int p = g->tensors[t].producer;
    for (int k = 0; p >= 0 && k < g->nodes[p].n_outputs; k++)
      if (g->nodes[p].outputs[k] == t) g->nodes[p].outputs[k] = src;
    dst = t;
  } else {
    if ((dst = new_tensor(r, base, "_dequantized")) < 0) return r->err->code;
    shape_like(&g->tensors[dst], QINFER_DTYPE_FLOAT, &g->tensors[t]);
  }
  const int qin[3] = {src, ts, tz};
  const int qn = add_node(r, "QuantizeLinear", qin, 3, tq, -1);
  if (qn < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  const int din[3] = {tq, ts, tz};
  const int dn = add_node(r, "DequantizeLinear", din, 3, dst, -1);
  if (dn < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  if (dst != t) redirect_readers(g, t, dst, qn);
  r->rep->activations++;
  return QINFER_OK;
}

/* The zero-point constant of an asymmetric 4-bit weight (uint4, the scale's shape). */
static int weight_zero_point(rw *r, const char *base, const qz_weight_q *wq) {
  int8_t *z = malloc((size_t)wq->scale_numel);
  uint8_t *packed = malloc((size_t)(wq->scale_numel + 1) / 2);
  int t = -1;
  if (!z || !packed) qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  else {
    for (int64_t i = 0; i < wq->scale_numel; i++) z[i] = (int8_t)wq->zp[i];
    qz_pack_nibbles(z, wq->scale_numel, packed);
    t = new_const(r, base, "_zero_point", QINFER_DTYPE_UINT4, wq->scale_rank, wq->scale_dims, packed);
  }
  free(z), free(packed);
  return t;
}

/* The scale constant of a weight: float, or float16 -> Cast(float) when the spec rounded every scale to a
 * float16 value (4-bit blocks: 2 bytes a scale instead of 4; the Cast of a constant folds away in qinfer and ONNX
 * Runtime, so the fusions see a float constant). -1 when out of memory. */
static int weight_scale(rw *r, const char *base, const qz_weight_spec *spec, const qz_weight_q *wq) {
  uint16_t *h = spec->f16_scale ? malloc(sizeof(uint16_t) * (size_t)(wq->scale_numel + 1)) : NULL;
  bool f16 = h != NULL;
  for (int64_t i = 0; f16 && i < wq->scale_numel; i++) f16 = qz_f16_bits(wq->scale[i], &h[i]);
  if (!f16) {
    free(h);
    return new_const(r, base, "_scale", QINFER_DTYPE_FLOAT, wq->scale_rank, wq->scale_dims, wq->scale);
  }
  const int th = new_const(r, base, "_scale_f16", QINFER_DTYPE_FLOAT16, wq->scale_rank, wq->scale_dims, h);
  free(h);
  const int ts = th >= 0 ? new_tensor(r, base, "_scale") : -1;
  if (ts < 0) return -1;
  qi_tensor_set_shape(&r->g->tensors[ts], QINFER_DTYPE_FLOAT, wq->scale_rank, wq->scale_dims);
  const int ni = qi_graph_add_node(r->g, "Cast", "", &th, 1, &ts, 1);
  qi_attr *to = ni >= 0 ? qi_node_add_attr(r->g, ni, "to", QI_ATTR_INT) : NULL;
  if (!to) {
    qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    return -1;
  }
  to->i = QINFER_DTYPE_FLOAT;
  return ts;
}

/* Reshape(flat, constant shape of weight w) -> a new tensor shaped like w (flat_conv); -1 when out of memory. */
static int reshape_back(rw *r, const char *base, int flat, int w) {
  qi_graph *g = r->g;
  const int rank = g->tensors[w].rank;
  int64_t shape[QI_MAX_RANK], shape_dims[1] = {rank};
  memcpy(shape, g->tensors[w].dims, sizeof(int64_t) * (size_t)rank);
  const int ts = new_const(r, base, "_shape", QINFER_DTYPE_INT64, 1, shape_dims, shape);
  const int tw = ts >= 0 ? new_tensor(r, base, "_reshaped") : -1;
  if (tw < 0) return -1;
  qi_tensor_set_shape(&g->tensors[tw], QINFER_DTYPE_FLOAT, rank, shape);
  const int ins[2] = {flat, ts};
  if (qi_graph_add_node(g, "Reshape", "", ins, 2, &tw, 1) < 0) return -1;
  return tw;
}

/* Stores weight input k of node ni quantized by spec (int8, or int4 / uint4 two per byte) + DequantizeLinear
 * (axis and block_size as the spec's layout). *scales gets one scale per output channel for the bias (count
 * values, malloc'ed), or NULL when the weights are blocked (a bias then stays float). */
/* Bias correction (docs/quantization.md, "Bias correction"; 4-bit weights by default, int8 ones on request): the
 * expected output error of the weight quantization, shift[m] = sum_k (W_q - W)[m, k] E[x_k], for Conv (E[x_k]: the
 * mean of input channel c(k) over the calibration samples, all positions: padding zeros not counted) and Gemm
 * (transA 0, alpha = beta = 1: E of A's column k). NULL when it does not apply (no means, other ops) or out of
 * memory. */
static double *bias_shift(const qi_node *n, const qi_tensor *wt, const float *deq, const qz_range *xr) {
  if (!xr || !xr->ch_sum || !(xr->ch_count > 0) || wt->rank < 2) return NULL;
  const bool conv = !strcmp(n->op_type, "Conv"), gemm = !strcmp(n->op_type, "Gemm");
  if (!conv && !(gemm && wt->rank == 2 && qi_attr_int(n, "transA", 0) == 0 && qi_attr_float(n, "alpha", 1.f) == 1.f &&
                 qi_attr_float(n, "beta", 1.f) == 1.f))
    return NULL;
  const bool trans_b = gemm && qi_attr_int(n, "transB", 0);
  const int64_t m_count = conv || trans_b ? wt->dims[0] : wt->dims[1];
  const int64_t k_count = qi_tensor_numel(wt) / (m_count ? m_count : 1);
  int64_t taps = 1, groups = conv ? qi_attr_int(n, "group", 1) : 1;
  for (int d = 2; conv && d < wt->rank; d++) taps *= wt->dims[d];
  if (groups < 1 || m_count % groups || (conv ? wt->dims[1] * groups : k_count) != xr->channels) return NULL;
  double *shift = calloc((size_t)m_count + 1, sizeof(double));
  if (!shift) return NULL;
  const float *w = wt->data;
  for (int64_t m = 0; m < m_count; m++) {
    const int64_t c0 = conv ? m / (m_count / groups) * wt->dims[1] : 0; /* the group's first input channel */
    for (int64_t k = 0; k < k_count; k++) {
      const int64_t e = conv || trans_b ? m * k_count + k : k * m_count + m;
      shift[m] += ((double)deq[e] - (double)w[e]) * (xr->ch_sum[c0 + k / taps] / xr->ch_count);
    }
  }
  return shift;
}

static qi_status quantize_weight(rw *r, int ni, int k, const qz_weight_spec *spec, const qz_range *xr,
                                 double **shift, float **scales, int64_t *count) {
  qi_graph *g = r->g;
  const int w = g->nodes[ni].inputs[k];
  const qi_tensor *wt = &g->tensors[w];
  const int64_t numel = qi_tensor_numel(wt);
  /* flat_conv: the blocks run along the im2col's K = C/g * kh * kw of the 2-D view [M, K] */
  const int rank = spec->flat_conv ? 2 : wt->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, wt->dims, sizeof dims);
  if (spec->flat_conv) dims[1] = wt->dims[0] > 0 ? numel / wt->dims[0] : 0;
  qz_weight_q wq;
  if (r->o->gptq && qz_gptq_take(r->o->gptq, wt->name, numel, &wq)) {
    r->rep->gptq_layers++;
  } else { /* mse with calibrated inputs: each weight's squared error weighted by E[x_k^2] of the value it multiplies */
    qz_weight_spec weighted = *spec;
    double *importance = spec->mse ? qz_weight_importance(&g->nodes[ni], wt, xr) : NULL;
    weighted.importance = importance;
    const qi_status qst = qz_weight_quantize(wt->data, rank, dims, &weighted, &wq, r->err);
    free(importance);
    QI_CHECK(qst);
  }
  const bool four = spec->bits == 4;
  int dtype = QINFER_DTYPE_INT8;
  const void *data = wq.q;
  uint8_t *packed = NULL;
  if (four) {
    dtype = spec->asymmetric ? QINFER_DTYPE_UINT4 : QINFER_DTYPE_INT4;
    if (!(packed = malloc((size_t)(numel + 1) / 2 + 1))) {
      qz_weight_q_free(&wq);
      return qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    }
    qz_pack_nibbles(wq.q, numel, packed);
    data = packed;
  }
  char base[600];
  snprintf(base, sizeof base, "%s", wt->name);
  const int tq = new_const(r, base, "_quantized", dtype, rank, dims, data);
  free(packed);
  const int ts = tq >= 0 ? weight_scale(r, base, spec, &wq) : -1;
  const int tz = ts >= 0 && wq.zp ? weight_zero_point(r, base, &wq) : -1;
  const int tdq = ts >= 0 && (tz >= 0 || !wq.zp) ? new_tensor(r, base, "_dequantized") : -1;
  int dn = -1;
  if (tdq >= 0) {
    qi_tensor_set_shape(&g->tensors[tdq], QINFER_DTYPE_FLOAT, rank, dims);
    const int ins[3] = {tq, ts, tz}; /* symmetric: no zero point, 0 */
    dn = add_node(r, "DequantizeLinear", ins, wq.zp ? 3 : 2, tdq, spec->axis);
  }
  qi_attr *bs = dn >= 0 && spec->block > 0 ? qi_node_add_attr(g, dn, "block_size", QI_ATTR_INT) : NULL;
  if (dn < 0 || (spec->block > 0 && !bs)) {
    qz_weight_q_free(&wq);
    return r->err->code ? r->err->code : qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  if (bs) bs->i = spec->block;
  const int tw = spec->flat_conv ? reshape_back(r, base, tdq, w) : tdq;
  if (tw < 0) {
    qz_weight_q_free(&wq);
    return r->err->code ? r->err->code : qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  g->nodes[ni].inputs[k] = tw;
  r->rep->weights++;
  r->rep->weight_bytes_fp32 += numel * 4;
  r->rep->weight_bytes_int8 += four ? (numel + 1) / 2 : numel;
  *scales = NULL;
  *count = 0;
  const bool correct = r->o->bias_correction > 0 || (r->o->bias_correction == 0 && spec->bits == 4);
  *shift = correct ? bias_shift(&g->nodes[ni], &g->tensors[w], wq.deq, xr) : NULL;
  if (spec->block <= 0) { /* per channel or per tensor: the group scales are the bias's */
    *scales = wq.group_scale;
    *count = wq.n_groups;
    wq.group_scale = NULL;
  }
  qz_weight_q_free(&wq);
  return QINFER_OK;
}

/* Stores bias input k of node ni (count values along its only axis) as int32 at scale x_scale * w_scale[c]. */
static qi_status quantize_bias(rw *r, int ni, int k, float x_scale, const float *w_scales, int64_t w_count) {
  qi_graph *g = r->g;
  const int b = g->nodes[ni].inputs[k];
  const qi_tensor *bt = &g->tensors[b];
  const int64_t n = qi_tensor_numel(bt);
  if (bt->rank != 1 || (w_count != 1 && w_count != n)) return QINFER_OK; /* left in float */
  /* a scale product that underflows to 0 (tiny weights under a 16-bit input's small scale) cannot be a
   * DequantizeLinear scale: the bias stays float */
  for (int64_t c = 0; c < n; c++)
    if (!(x_scale * w_scales[w_count == 1 ? 0 : c] > 0.f)) return QINFER_OK;
  int32_t *q = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  float *s = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!q || !s) {
    free(q), free(s);
    return qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  const float *x = bt->data;
  for (int64_t c = 0; c < n; c++) {
    s[c] = x_scale * w_scales[w_count == 1 ? 0 : c];
    double v = nearbyint((double)x[c] / s[c]);
    v = v > 2147483647.0 ? 2147483647.0 : (v < -2147483647.0 ? -2147483647.0 : v);
    q[c] = (int32_t)v;
  }
  char base[600];
  snprintf(base, sizeof base, "%s", bt->name);
  const int64_t dims[1] = {n};
  const int tq = new_const(r, base, "_quantized", QINFER_DTYPE_INT32, 1, dims, q);
  const int ts = new_const(r, base, "_scale", QINFER_DTYPE_FLOAT, 1, dims, s);
  free(q), free(s);
  const int tdq = tq >= 0 ? new_tensor(r, base, "_dequantized") : -1;
  if (tq < 0 || ts < 0 || tdq < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  qi_tensor_set_shape(&g->tensors[tdq], QINFER_DTYPE_FLOAT, 1, dims);
  const int ins[2] = {tq, ts}; /* no zero point: 0 */
  if (add_node(r, "DequantizeLinear", ins, 2, tdq, 0) < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  g->nodes[ni].inputs[k] = tdq;
  r->rep->biases++;
  return QINFER_OK;
}

/* Constant float operand k of an Add / Mul: quantized like an activation from its own range. */
static qi_status quantize_const_operand(rw *r, int ni, int k) {
  qi_graph *g = r->g;
  const int c = g->nodes[ni].inputs[k];
  const qi_tensor *ct = &g->tensors[c];
  const int64_t n = qi_tensor_numel(ct);
  const float *x = ct->data;
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < n; i++) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  float scale;
  int32_t zp;
  const int dtype = r->o->act_dtype;
  qz_act_params(lo, hi, dtype, &scale, &zp);
  int32_t qmin, qmax;
  act_range(dtype, &qmin, &qmax);
  const bool wide = dtype == QINFER_DTYPE_INT16 || dtype == QINFER_DTYPE_UINT16;
  uint8_t *q = malloc((size_t)(n ? n : 1) * (wide ? 2 : 1));
  if (!q) return qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int64_t i = 0; i < n; i++) {
    const int32_t v = qi_quantize_f32(x[i], scale, zp, qmin, qmax);
    if (wide) ((uint16_t *)q)[i] = (uint16_t)v;
    else q[i] = (uint8_t)v;
  }
  char base[600];
  snprintf(base, sizeof base, "%s", ct->name);
  const int rank = ct->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, ct->dims, sizeof dims);
  int ts, tz;
  const int tq = new_const(r, base, "_quantized", dtype, rank, dims, q);
  free(q);
  if (tq < 0 || !scalar_params(r, base, scale, zp, dtype, &ts, &tz)) return r->err->code;
  const int tdq = new_tensor(r, base, "_dequantized");
  if (tdq < 0) return r->err->code;
  qi_tensor_set_shape(&g->tensors[tdq], QINFER_DTYPE_FLOAT, rank, dims);
  const int ins[3] = {tq, ts, tz};
  if (add_node(r, "DequantizeLinear", ins, 3, tdq, -1) < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  g->nodes[ni].inputs[k] = tdq;
  return QINFER_OK;
}

static bool input_quantized(const qz_plan *p, const qi_graph *g, const qi_node *n, int k) {
  return k < n->n_inputs && n->inputs[k] >= 0 && n->inputs[k] < p->n_tensors && p->quantize[n->inputs[k]] &&
         maybe_float(&g->tensors[n->inputs[k]]);
}

/* How the weight of compute node n (rank-`rank` constant at input 1) is quantized: per output channel (Conv axis
 * 0, MatMul B [K, N] axis 1, Gemm B by transB) or per tensor for int8; 4-bit blocks run along K (Conv: its 2-D
 * view [Cout, Cin/g * kh * kw], axis 1, written flat -> Reshape; MatMul: axis rank - 2; Gemm: axis 0, or 1 with transB), a K no
 * longer than the block is per channel, and 4-bit per-channel MatMul weights of rank > 2 are one block of K. */
qz_weight_spec qz_node_weight_spec(const qi_graph *g, const qi_node *n, int rank, const int64_t *dims,
                                   const qz_options *o) {
  bool four = o->weight_bits == 4 && !qz_node_named(g, n, o->w8, o->n_w8);
  qz_weight_spec s = {.bits = four ? 4 : 8, .asymmetric = four && o->weight_asymmetric,
                      .mse = o->weight_method != QZ_WEIGHT_MINMAX, .axis = -1};
  if (rank < 2) { /* a MatMul's vector B: int8, one scale */
    s.bits = 8;
    s.asymmetric = false;
    return s;
  }
  const bool conv = !strcmp(n->op_type, "Conv"), gemm = !strcmp(n->op_type, "Gemm");
  const bool trans_b = gemm && qi_attr_int(n, "transB", 0);
  const int channel_axis = conv || trans_b ? 0 : (gemm || rank == 2 ? rank - 1 : -1);
  const int k_axis = conv || trans_b ? 1 : rank - 2;
  /* one block covering all of K is one scale per output channel: written per axis (a scale per channel rather than
   * one repeated over a Conv's taps: MobileNetV2's depthwise weights, Cin / group = 1) */
  int64_t k_len = k_axis < rank ? dims[k_axis] : 0;
  for (int d = 2; conv && d < rank; d++) k_len *= dims[d]; /* a Conv's K: C/g x kh x kw */
  const bool one_block = k_axis < rank && k_len <= o->block_size && channel_axis >= 0;
  /* a K that fits one block (3x3 depthwise: 9; a 3-channel image's 3x3 conv: 27; a 1x1 conv over <= B channels)
   * has no block to share a scale with: its weights stay int8 per output channel (at most B bytes a channel more;
   * MobileNetV2 W4A8 block 32: 15.8 -> 17.6 dB set0, file 0.169x -> 0.172x) */
  if (four && o->block_size > 0 && one_block) s.bits = 8, s.asymmetric = false, four = false;
  if (four && o->block_size > 0 && !one_block) {
    s.axis = k_axis;
    s.block = o->block_size;
    s.f16_scale = true; /* a scale per B weights: written float16 */
    s.flat_conv = conv; /* blocks of the im2col's K, each its own scale */
  } else if (four && channel_axis < 0) { /* batched MatMul weights: one block of K per column */
    s.axis = k_axis;
    s.block = dims[k_axis] > 0 ? dims[k_axis] : 1;
  } else if (o->per_channel) {
    s.axis = channel_axis;
  }
  return s;
}

/* Replaces the bias b of node ni (a float constant of the shift's length) by b - shift, a new constant. */
static qi_status correct_bias(rw *r, int ni, int b, const double *shift) {
  qi_graph *g = r->g;
  const qi_tensor *bt = &g->tensors[b];
  if (!(bt->flags & QI_TF_CONST) || bt->dtype != QINFER_DTYPE_FLOAT || bt->rank != 1 || !bt->data) return QINFER_OK;
  const int64_t count = bt->dims[0];
  float *v = malloc(sizeof(float) * (size_t)(count + 1));
  if (!v) return qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int64_t c = 0; c < count; c++) v[c] = (float)((double)((const float *)bt->data)[c] - shift[c]);
  char base[600];
  snprintf(base, sizeof base, "%s", bt->name);
  const int t = new_const(r, base, "_corrected", QINFER_DTYPE_FLOAT, 1, &count, v);
  free(v);
  if (t < 0) return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  g->nodes[ni].inputs[2] = t;
  r->rep->biases_corrected++;
  return QINFER_OK;
}

/* Weights and biases of a compute node (x_scale: the scale of its quantized input 0; NAN when weight-only, then
 * biases stay float). */
static qi_status quantize_node_constants(rw *r, int ni, float x_scale, const qz_range *xr) {
  qi_graph *g = r->g;
  const qi_node *n = &g->nodes[ni];
  const int w = n->n_inputs > 1 ? n->inputs[1] : -1;
  if (w < 0 || !(g->tensors[w].flags & QI_TF_CONST) || g->tensors[w].dtype != QINFER_DTYPE_FLOAT) return QINFER_OK;
  const qz_weight_spec spec = qz_node_weight_spec(g, n, g->tensors[w].rank, g->tensors[w].dims, r->o);
  float *scales = NULL;
  int64_t count = 0;
  double *shift = NULL;
  QI_CHECK(quantize_weight(r, ni, 1, &spec, xr, &shift, &scales, &count));
  qi_status st = QINFER_OK;
  n = &g->nodes[ni];
  int b = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (shift && b >= 0) {
    st = correct_bias(r, ni, b, shift);
    b = g->nodes[ni].inputs[2];
    n = &g->nodes[ni];
  }
  free(shift);
  const bool bias_ok = strcmp(n->op_type, "MatMul") != 0 && scales && !isnan(x_scale) &&
                       (strcmp(n->op_type, "Gemm") != 0 || qi_attr_float(n, "beta", 1.f) == 1.f);
  if (bias_ok && b >= 0 && (g->tensors[b].flags & QI_TF_CONST) && g->tensors[b].dtype == QINFER_DTYPE_FLOAT)
    st = quantize_bias(r, ni, 2, x_scale, scales, count);
  free(scales);
  return st;
}

/* Weight-only quantization (float activations): a Conv (1-D / 2-D), Gemm or MatMul with a constant float weight
 * input, not excluded. */
static bool weight_only_node(const qi_graph *g, const qi_node *n, const qz_options *o) {
  const int w = n->n_inputs > 1 ? n->inputs[1] : -1;
  if (w < 0 || !(g->tensors[w].flags & QI_TF_CONST) || g->tensors[w].dtype != QINFER_DTYPE_FLOAT ||
      qz_node_excluded(g, n, o))
    return false;
  const int rank = g->tensors[w].rank;
  if (!strcmp(n->op_type, "Conv")) return rank == 3 || rank == 4;
  if (!strcmp(n->op_type, "Gemm")) return rank == 2;
  return !strcmp(n->op_type, "MatMul") && rank >= 2;
}

static qi_status params_of(const qz_plan *p, const qz_range *ranges, int t, int dtype, float *scale, int32_t *zp,
                           qi_error *err, const qi_graph *g) {
  const int src = p->share[t] >= 0 ? p->share[t] : t;
  if (!ranges[src].set)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "tensor '%s' was never seen during calibration",
                   g->tensors[src].name);
  qz_act_params(ranges[src].min, ranges[src].max, dtype, scale, zp);
  return QINFER_OK;
}

static void ensure_opset(qi_graph *g, const char *domain, int64_t version) {
  for (int i = 0; i < g->n_opsets; i++)
    if (strcmp(g->opset_domains[i], domain) == 0) return;
  char **d = realloc(g->opset_domains, sizeof(char *) * (size_t)(g->n_opsets + 1));
  if (!d) return;
  g->opset_domains = d;
  int64_t *v = realloc(g->opset_versions, sizeof(int64_t) * (size_t)(g->n_opsets + 1));
  if (!v) return;
  g->opset_versions = v;
  const size_t len = strlen(domain) + 1;
  if (!(g->opset_domains[g->n_opsets] = malloc(len))) return;
  memcpy(g->opset_domains[g->n_opsets], domain, len);
  g->opset_versions[g->n_opsets++] = version;
}

qi_status qz_rewrite(qi_graph *g, const qz_options *o, const qz_plan *p, const qz_range *ranges, qz_report *rep,
                     qi_error *err) {
  memset(rep, 0, sizeof *rep);
  /* 16-bit QuantizeLinear / DequantizeLinear are in the default domain from opset 21 (ONNX Runtime's quantizer
   * takes com.microsoft's below, as here) */
  const bool act16 = qz_any_act16(o);
  rw r = {g, o, qi_graph_default_opset(g) >= (act16 ? 21 : 13) ? "" : "com.microsoft", rep, err};
  if (r.domain[0]) ensure_opset(g, "com.microsoft", 1);
  QI_CHECK(qi_graph_link(g, err));
  /* weights first, while input scales are still readable from the plan */
  const int n_nodes = g->n_nodes;
  for (int ni = 0; ni < n_nodes; ni++) {
    const qi_node *n = &g->nodes[ni];
    if (n->dead || n->domain[0]) continue;
    const unsigned flags = qi_node_op_flags(n);
    const bool compute = flags & QI_OPF_QUANT_LINEAR; /* Conv, Gemm, MatMul */
    const bool join = (flags & QI_OPF_QUANT_JOIN) && (flags & QI_OPF_ELEMENTWISE); /* Add, Mul: constant operands */
    if (compute && !qz_quantizes_activations(o)) {
      if (weight_only_node(g, n, o)) QI_CHECK(quantize_node_constants(&r, ni, NAN, NULL));
    } else if (compute && input_quantized(p, g, n, 0) && n->outputs[0] >= 0) {
      float xs = 1.f;
      int32_t xz = 0;
      const int xt = qz_tensor_act_dtype(o, g->tensors[n->inputs[0]].name);
      QI_CHECK(params_of(p, ranges, n->inputs[0], xt, &xs, &xz, err, g));
      QI_CHECK(quantize_node_constants(&r, ni, xs, &ranges[n->inputs[0]]));
    } else if (join && n->n_inputs == 2) {
      for (int k = 0; k < 2; k++) {
        const int c = g->nodes[ni].inputs[k];
        const int other = g->nodes[ni].inputs[1 - k];
        if (c >= 0 && (g->tensors[c].flags & QI_TF_CONST) && g->tensors[c].dtype == QINFER_DTYPE_FLOAT &&
            input_quantized(p, g, &g->nodes[ni], 1 - k) && other >= 0)
          QI_CHECK(quantize_const_operand(&r, ni, k));
      }
    }
  }
  for (int t = 0; t < p->n_tensors; t++) {
    if (!p->quantize[t] || !maybe_float(&g->tensors[t])) continue;
    float scale = 1.f;
    int32_t zp = 0;
    const int dtype = qz_tensor_act_dtype(o, g->tensors[t].name);
    QI_CHECK(params_of(p, ranges, t, dtype, &scale, &zp, err, g));
    QI_CHECK(quantize_activation(&r, t, dtype, scale, zp));
    QI_CHECK(qi_graph_link(g, err));
  }
  return qi_graph_toposort(g, err);
}
