/* W4A8 in the QDQ pass: 8-bit activations and 4-bit constant weights
 *
 *     xq (uint8 / int8) -> DQ --------------------\
 *     wq (int4 / uint4 constant) -> DQ ------------> Conv / MatMul / Gemm [-> Relu | Clip] -> Q (8-bit) -> yq
 *     bias (float constant, or DQ of int32) -------/
 *
 * becomes ai.qinfer QLinearConvW4 / QLinearMatMulW4 (engine/ops/quant_qb4w.c) on the qb4w kernels. The weights'
 * DequantizeLinear gives their layout: per tensor, per axis along the output channels (Conv axis 0, MatMul B
 * [K, N] axis 1, Gemm B axis 0 with transB, else 1), or in blocks (block_size) along the reduction (Conv axis 1 =
 * input channels, MatMul axis 0, Gemm axis 1 with transB, else 0); a Conv weight may also be DQ(flat [M, K]
 * blocked along axis 1) -> Reshape(constant [M, C/g, k...]) (engine/pass_conv_flat_weight.c). The bias: a DequantizeLinear of int32 at
 * exactly x_scale * w_scale[c] with per-channel weights (what quantizers write) stays that int32: exactly the INT8
 * rule; any other bias (float, int32 at another scale, any bias of blocked weights) is taken as its float value
 * (a DQ of int32: (q - zp) * scale in binary32, what DequantizeLinear computes), which the op divides by y_scale:
 * rounding it to an integer at x_scale * w_scale[c] would only add error against the float model (up to half a
 * step of x_scale * w_scale[c], large for 4-bit weight scales). What the pass or the op refuses (activations per axis, weights along another axis,
 * Gemm with transA or alpha / beta != 1, blocks the kernels cannot take, Conv blocks whose parameters vary over
 * the taps, ...) stays on the float path: QI_DEBUG_QDQ=1 prints the reason. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pass_qdq.h"

static bool is_const(const qi_graph *g, int t) { return t >= 0 && (g->tensors[t].flags & QI_TF_CONST); }

static int input_of(const qi_node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }

static bool refuse(const qi_graph *g, int oi, const char *fmt, ...) {
  if (!getenv("QI_DEBUG_QDQ")) return false;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "qdq: %s not fused (W4A8): ", g->nodes[oi].name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return false;
}

/* A DequantizeLinear of 4-bit constant weights. */
typedef struct w4_dq {
  int q, scale, zp;
  int axis;      /* normalised */
  int64_t block; /* 0: per tensor / per axis */
} w4_dq;

static bool dq4_of(const qi_graph *g, int t, w4_dq *out) {
  if (t < 0 || g->tensors[t].producer < 0) return false;
  const qi_node *d = &g->nodes[g->tensors[t].producer];
  if (d->dead || strcmp(d->op_type, "DequantizeLinear") != 0 || d->domain[0] || d->n_outputs != 1) return false;
  const int q = input_of(d, 0), s = input_of(d, 1), z = input_of(d, 2);
  if (!is_const(g, q) || !qi_dtype_is_4bit(g->tensors[q].dtype) || !is_const(g, s) ||
      g->tensors[s].dtype != QINFER_DTYPE_FLOAT || (z >= 0 && !is_const(g, z)))
    return false;
  const int rank = g->tensors[q].rank;
  int64_t axis = qi_attr_int(d, "axis", 1);
  if (axis < 0) axis += rank;
  out->q = q, out->scale = s, out->zp = z, out->axis = (int)axis;
  out->block = qi_attr_int(d, "block_size", 0);
  return true;
}

/* The bias of blocked weights as a float vector of count values: a float constant as it is, a DequantizeLinear of
 * int32 dequantized here ((q - zp) * scale, binary32). -1: none fits. */
static int float_bias(qi_graph *g, int b, int64_t count, qi_error *err) {
  const qi_tensor *bt = &g->tensors[b];
  if (is_const(g, b) && bt->dtype == QINFER_DTYPE_FLOAT)
    return bt->rank == 1 && qi_tensor_numel(bt) == count ? b : -1;
  qi_dq_ref bd;
  if (!qi_qdq_dq_of(g, b, false, QINFER_DTYPE_INT32, &bd) || !is_const(g, bd.q) || g->tensors[bd.q].rank != 1 ||
      qi_tensor_numel(&g->tensors[bd.q]) != count)
    return -1;
  char name[600];
  snprintf(name, sizeof name, "%s/bias_float", g->tensors[b].name);
  const int t = qi_graph_add_tensor(g, name);
  if (t < 0) return -1;
  int64_t dims[1] = {count};
  qi_tensor_set_shape(&g->tensors[t], QINFER_DTYPE_FLOAT, 1, dims);
  if (qi_tensor_alloc_const(&g->tensors[t], err) != QINFER_OK) return -1;
  const qi_tensor *q = &g->tensors[bd.q], *s = &g->tensors[bd.scale], *z = bd.zp >= 0 ? &g->tensors[bd.zp] : NULL;
  float *out = g->tensors[t].data;
  const int64_t ns = qi_tensor_numel(s), nz = z ? qi_tensor_numel(z) : 0;
  for (int64_t c = 0; c < count; c++) {
    const int32_t zp = z ? qi_tensor_int_at(z, nz == 1 ? 0 : c) : 0;
    out[c] = (float)(((const int32_t *)q->data)[c] - zp) * ((const float *)s->data)[ns == 1 ? 0 : c];
  }
  return t;
}

/* Whether bias b is a DequantizeLinear of int32 at exactly x_scale * w_scale[c] for each of the count channels (what
 * quantizers write for per-channel weights): then it is the int32 bias of the INT8 rule as it stands. */
static bool int32_at_acc_scale(const qi_graph *g, int b, int xs, int ws, int64_t count) {
  qi_dq_ref bd;
  if (!qi_qdq_dq_of(g, b, false, QINFER_DTYPE_INT32, &bd) || !is_const(g, bd.q)) return false;
  const qi_tensor *bs = &g->tensors[bd.scale], *wst = &g->tensors[ws];
  const int64_t nb = qi_tensor_numel(bs), nw = qi_tensor_numel(wst);
  const float x_scale = *(const float *)g->tensors[xs].data;
  for (int64_t c = 0; c < count; c++) {
    const float want = x_scale * ((const float *)wst->data)[nw == 1 ? 0 : c];
    const float got = ((const float *)bs->data)[nb == 1 ? 0 : c];
    if (memcmp(&want, &got, sizeof want) != 0) return false;
  }
  return true;
}

bool qi_qdq_fuse_w4a8(qi_graph *g, int oi, qi_status *st, qi_error *err) {
  w4_dq w;
  if (!dq4_of(g, input_of(&g->nodes[oi], 1), &w)) { /* a Conv weight may be flat [M, K] -> Reshape */
    const int flat = strcmp(g->nodes[oi].op_type, "Conv") == 0
                         ? qi_conv_flat_weight(g, oi, input_of(&g->nodes[oi], 1), st, err) : -1;
    if (flat < 0 || !dq4_of(g, flat, &w)) return false; /* not 4-bit weights: not this pattern */
  }
  qi_qdq_fusion f;
  qi_dq_ref x;
  if (!qi_qdq_dq_of(g, input_of(&g->nodes[oi], 0), false, 0, &x)) return false; /* float activations: W4A32 */
  if (!qi_qdq_find_output_q(g, oi, &f)) return refuse(g, oi, "the output is not quantized to 8 bits");
  if (x.axis >= 0) return refuse(g, oi, "the activations are quantized per axis");
  const qi_node *n = &g->nodes[oi];
  const bool conv = strcmp(n->op_type, "Conv") == 0, matmul = strcmp(n->op_type, "MatMul") == 0;
  const qi_tensor *wt = &g->tensors[w.q];
  int out_axis = 0, k_axis = 1; /* Conv [M, C/g, kh, kw]; Gemm's B with transB [N, K] */
  if (!conv) {
    if (wt->rank != 2) return refuse(g, oi, "B has rank %d; 2-D constant weights expected", wt->rank);
    if (!matmul) {
      if (qi_attr_int(n, "transA", 0) != 0) return refuse(g, oi, "Gemm with transA");
      if (qi_attr_float(n, "alpha", 1.f) != 1.f || (input_of(n, 2) >= 0 && qi_attr_float(n, "beta", 1.f) != 1.f))
        return refuse(g, oi, "Gemm with alpha or beta other than 1");
    }
    if (matmul || qi_attr_int(n, "transB", 0) == 0) out_axis = 1, k_axis = 0;
  }
  const bool per_tensor = w.block == 0 && qi_tensor_numel(&g->tensors[w.scale]) == 1;
  if (!per_tensor && w.axis != (w.block ? k_axis : out_axis))
    return refuse(g, oi, "weights quantized along axis %d%s; axis %d expected", w.axis, w.block ? " in blocks" : "",
                  w.block ? k_axis : out_axis);
  int ys, yz;
  if (!qi_qdq_out_params(g, &f, &ys, &yz, err)) return (*st = err->code), false;
  const int xz = qi_qdq_zp_or_zero(g, x.zp, g->tensors[x.q].dtype, x.scale, err);
  if (xz < 0) return (*st = err->code), false;
  const int b = input_of(&g->nodes[oi], 2);
  const int64_t channels = g->tensors[w.q].dims[out_axis];
  int bias = -1;
  if (b >= 0) {
    const qi_dq_ref wref = {.q = w.q, .scale = w.scale, .zp = w.zp, .axis = per_tensor ? -1 : w.axis};
    bias = !w.block && int32_at_acc_scale(g, b, x.scale, w.scale, channels)
               ? qi_qdq_int32_bias(g, b, x.scale, &wref, channels, err)
               : float_bias(g, b, channels, err);
    if (bias < 0)
      return refuse(g, oi, "the bias is no float constant or DequantizeLinear of int32 with %lld values",
                    (long long)channels);
  }
  const int ins[9] = {x.q, x.scale, xz, w.q, w.scale, w.zp, ys, yz, bias};
  return qi_qdq_emit_attr(g, &f, conv ? "QLinearConvW4" : "QLinearMatMulW4", "ai.qinfer", ins, bias >= 0 ? 9 : 8,
                          matmul ? -1 : oi, "block_size", w.block, st, err);
}
