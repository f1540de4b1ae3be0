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
static qi_status quantize_activation(rw *r, int t, float scale, int32_t zp) {
  qi_graph *g = r->g;
  /* Short names (qdq<k>_quantized, ...): every name is written once per reader, and with an activation's full
   * name they made up 5 % of a transformer's INT8 file. The QuantizeLinear reads t itself, so tools map
   * qdq<k> back to t (qinfer compare does). */
  char base[600];
  snprintf(base, sizeof base, "qdq%d", r->rep->activations);
  const int dtype = r->o->act_dtype;
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

/* Stores weight input k of node ni as int8 + DequantizeLinear; axis: per-channel axis or -1 per tensor.
 * Returns the weight scales through *scales (malloc'ed, count values) for the bias. */
static qi_status quantize_weight(rw *r, int ni, int k, int axis, float **scales, int64_t *count) {
  qi_graph *g = r->g;
  const int w = g->nodes[ni].inputs[k];
  const qi_tensor *wt = &g->tensors[w];
  const int64_t numel = qi_tensor_numel(wt);
  const int64_t channels = axis >= 0 ? wt->dims[axis] : 1;
  int64_t inner = 1;
  for (int d = axis + 1; axis >= 0 && d < wt->rank; d++) inner *= wt->dims[d];
  float *s = malloc(sizeof(float) * (size_t)(channels ? channels : 1));
  int8_t *q = malloc((size_t)(numel ? numel : 1));
  if (!s || !q) {
    free(s), free(q);
    return qi_fail(r->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  const float *x = wt->data;
  for (int64_t c = 0; c < channels; c++) s[c] = 0.f;
  for (int64_t i = 0; i < numel; i++) {
    const int64_t c = axis >= 0 ? (i / inner) % channels : 0;
    const float a = fabsf(x[i]);
    if (a > s[c]) s[c] = a;
  }
  for (int64_t c = 0; c < channels; c++) s[c] = s[c] > 0.f ? s[c] / 127.f : 1.f;
  for (int64_t i = 0; i < numel; i++) {
    const int64_t c = axis >= 0 ? (i / inner) % channels : 0;
    q[i] = (int8_t)qi_quantize_f32(x[i], s[c], 0, -127, 127);
  }
  char base[600];
  snprintf(base, sizeof base, "%s", wt->name);
  const int rank = wt->rank;
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, wt->dims, sizeof dims);
  const int64_t pdims[1] = {channels};
  const int tq = new_const(r, base, "_quantized", QINFER_DTYPE_INT8, rank, dims, q);
  const int ts = new_const(r, base, "_scale", QINFER_DTYPE_FLOAT, axis >= 0 ? 1 : 0, pdims, s);
  free(q);
  const int tdq = tq >= 0 ? new_tensor(r, base, "_dequantized") : -1;
  if (tq < 0 || ts < 0 || tdq < 0) {
    free(s);
    return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  }
  qi_tensor_set_shape(&g->tensors[tdq], QINFER_DTYPE_FLOAT, rank, dims);
  const int ins[2] = {tq, ts}; /* no zero point: 0, symmetric */
  if (add_node(r, "DequantizeLinear", ins, 2, tdq, axis >= 0 ? axis : -1) < 0) {
    free(s);
    return r->err->code ? r->err->code : QINFER_ERR_OUT_OF_MEMORY;
  }
  g->nodes[ni].inputs[k] = tdq;
  r->rep->weights++;
  r->rep->weight_bytes_fp32 += numel * 4;
  r->rep->weight_bytes_int8 += numel;
  *scales = s;
  *count = channels;
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

/* Weights and biases of a compute node whose input 0 is quantized (x_scale: that input's scale). */
static qi_status quantize_node_constants(rw *r, int ni, float x_scale) {
  qi_graph *g = r->g;
  const qi_node *n = &g->nodes[ni];
  const int w = n->n_inputs > 1 ? n->inputs[1] : -1;
  if (w < 0 || !(g->tensors[w].flags & QI_TF_CONST) || g->tensors[w].dtype != QINFER_DTYPE_FLOAT) return QINFER_OK;
  int axis = -1;
  if (!strcmp(n->op_type, "Conv")) axis = 0;
  else if (!strcmp(n->op_type, "MatMul")) axis = g->tensors[w].rank == 2 ? 1 : -1;
  else if (!strcmp(n->op_type, "Gemm")) axis = qi_attr_int(n, "transB", 0) ? 0 : 1;
  if (!r->o->per_channel) axis = -1;
  float *scales = NULL;
  int64_t count = 0;
  QI_CHECK(quantize_weight(r, ni, 1, axis, &scales, &count));
  qi_status st = QINFER_OK;
  n = &g->nodes[ni];
  const int b = n->n_inputs > 2 ? n->inputs[2] : -1;
  const bool bias_ok = strcmp(n->op_type, "MatMul") != 0 &&
                       (strcmp(n->op_type, "Gemm") != 0 || qi_attr_float(n, "beta", 1.f) == 1.f);
  if (bias_ok && b >= 0 && (g->tensors[b].flags & QI_TF_CONST) && g->tensors[b].dtype == QINFER_DTYPE_FLOAT)
    st = quantize_bias(r, ni, 2, x_scale, scales, count);
  free(scales);
  return st;
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
  const bool act16 = o->act_dtype == QINFER_DTYPE_INT16 || o->act_dtype == QINFER_DTYPE_UINT16;
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
    if (compute && input_quantized(p, g, n, 0) && n->outputs[0] >= 0) {
      float xs = 1.f;
      int32_t xz = 0;
      QI_CHECK(params_of(p, ranges, n->inputs[0], o->act_dtype, &xs, &xz, err, g));
      QI_CHECK(quantize_node_constants(&r, ni, xs));
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
    QI_CHECK(params_of(p, ranges, t, o->act_dtype, &scale, &zp, err, g));
    QI_CHECK(quantize_activation(&r, t, scale, zp));
    QI_CHECK(qi_graph_link(g, err));
  }
  return qi_graph_toposort(g, err);
}
