/* Integer products with a float output whose scale is known only at run time, on the int32-output gemm
 * (kernels/qu8-gemm-s32):
 *
 *   com.microsoft DynamicQuantizeMatMul (A float, B, b_scale, [b_zero_point], [bias]):
 *       A is quantized to uint8 as DynamicQuantizeLinear does (qi_dynamic_quantize_u8), then as below;
 *   com.microsoft MatMulIntegerToFloat (A 8-bit, B, a_scale, b_scale, [a_zero_point], [b_zero_point], [bias]);
 *   ai.qinfer DynamicQuantizeConv (x float, w, w_scale, [w_zero_point], [bias]; Conv's attributes): what the
 *       dynamic-quantization pass (engine/pass_qdq_dynamic.c) makes of ONNX Runtime's DynamicQuantizeLinear ->
 *       ConvInteger -> Cast -> Mul (x_scale * w_scale) [-> Add bias] chain.
 *
 * Every output element is the unfused graph's value, bit for bit:
 *
 *   acc = sum_k (a - a_zp) * (b - b_zp[c])                     int32, exact (wrapping like ONNX's int32)
 *   y   = (float)acc * (a_scale * b_scale[c])  [+ bias[c]]     two binary32 roundings, never fused
 *
 * c is the output channel (Conv) or column (MatMul). B is a constant of rank 2 ([K, N]; Conv: [C_out, C_in/g,
 * kh, kw]); b - b_zp is packed once as int8 with sum_k (b - b_zp) per channel beside it, so the kernel computes
 * S = sum_k a_d * (b - b_zp) on the activations' raw bytes (a_d: the kernel's domain) and the epilogue takes
 * a_zp_d * sum_k (b - b_zp) off in int32 before converting. Weights whose b - b_zp leaves [-128, 127] (uint8
 * weights with a zero point far from 128) take a generic loop in the matmul ops; DynamicQuantizeConv refuses them
 * at infer, so the pass leaves such a chain unfused. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "engine/ops/quant_dynamic.h"

typedef enum { DQ_MATMUL, DQ_MATMUL_TO_FLOAT, DQ_CONV } dynq_kind;

/* Input slots (-1: the op has none). */
typedef struct dq_slots {
  int a, b, a_scale, a_zp, b_scale, b_zp, bias;
} dq_slots;
static const dq_slots slots_of[] = {
    [DQ_MATMUL] = {0, 1, -1, -1, 2, 3, 4},
    [DQ_MATMUL_TO_FLOAT] = {0, 1, 2, 4, 3, 5, 6},
    [DQ_CONV] = {0, 1, -1, -1, 2, 3, 4},
};
static const char *const op_names[] = {"DynamicQuantizeMatMul", "MatMulIntegerToFloat", "DynamicQuantizeConv"};

typedef struct dynq_state {
  dynq_kind kind;
  size_t channels, k; /* output channels (columns) and the reduction length (per group) */
  /* matmul: rows of A; conv: geometry */
  size_t rows;
  qi_window2d geom;
  size_t batch, in_c, groups, in_c_g, out_c_g, in_hw, out_hw;
  bool pointwise;
  const qi_qu8_gemm_s32_config *gemm;
  size_t group_bytes, tile, xq_bytes;
  /* Weight data made once by prepare, kept by the session across a resize (qi_rt_packed): slot 0 the packed
   * weights, or on the generic loop `wide`; slot 1 the per-channel values (dq_consts_bytes). */
  void *packed;          /* NULL: the generic loop over `wide` */
  int16_t *wide;         /* generic: b - b_zp, [channel][k] */
  const int32_t *wsum;   /* sum_k (b - b_zp) per channel */
  const float *w_scale;  /* per channel */
  const float *bias;     /* per channel, or NULL */
} dynq_state;

static const qi_tensor *in_of(qi_graph *g, const qi_node *n, int slot) {
  return slot >= 0 ? qi_node_in(g, n, slot) : NULL;
}

/* The value of b - b_zp at B's element i (channel c). */
static int32_t centred(const qi_tensor *b, const qi_tensor *bz, size_t i, size_t c) {
  const int32_t v = qi_q_load8(b->data, i, b->dtype == QINFER_DTYPE_INT8);
  if (!bz) return v;
  return v - qi_q_load8(bz->data, qi_tensor_numel(bz) == 1 ? 0 : c, bz->dtype == QINFER_DTYPE_INT8);
}

/* Element (k, c) of B as flat index: MatMul [K, N], Conv [C_out][K]. */
static size_t b_index(const dynq_state *s, size_t kk, size_t c) {
  return s->kind == DQ_CONV ? c * s->k + kk : kk * s->channels + c;
}

/* Shapes, types and parameter shapes; sets the output shape. */
static qi_status dq_infer(qi_graph *g, qi_node *n, dynq_kind kind, qi_error *err) {
  const dq_slots sl = slots_of[kind];
  const qi_tensor *a = in_of(g, n, sl.a), *b = in_of(g, n, sl.b), *bs = in_of(g, n, sl.b_scale);
  const qi_tensor *bz = in_of(g, n, sl.b_zp), *bias = in_of(g, n, sl.bias);
  if (!a || !b || !bs || (sl.a_scale >= 0 && !in_of(g, n, sl.a_scale)))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%s needs its data, weight and scale inputs", op_names[kind]);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  if (kind == DQ_MATMUL_TO_FLOAT ? !qi_q_is_8bit(a->dtype) : a->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "A has type %s; %s expected", qi_dtype_name(a->dtype),
                        kind == DQ_MATMUL_TO_FLOAT ? "uint8 or int8" : "float");
  if (!qi_q_is_8bit(b->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "B has type %s; uint8 or int8 expected", qi_dtype_name(b->dtype));
  int64_t dims[QI_MAX_RANK], channels;
  int rank;
  if (kind == DQ_CONV) {
    if (a->rank < 3 || a->rank > 4)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x has rank %d; 1-D and 2-D convolutions (rank 3, 4) only",
                          a->rank);
    int64_t group;
    QI_CHECK(qi_nn_conv_group(n, a, b, &group, err));
    qi_nn_window_attrs win;
    int64_t out_sp[2];
    QI_CHECK(qi_nn_read_window_attrs(n, a->rank - 2, b->dims + 2, true, &win, err));
    QI_CHECK(qi_nn_window_output(n, &win, a->dims + 2, false, out_sp, err));
    rank = a->rank;
    channels = b->dims[0];
    dims[0] = a->dims[0], dims[1] = channels;
    for (int i = 0; i < rank - 2; i++) dims[2 + i] = out_sp[i];
  } else {
    if (b->rank != 2) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "B has rank %d; only 2-D B is supported", b->rank);
    if (a->rank < 1 || a->dims[a->rank - 1] != b->dims[0])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A's last dimension does not match B's %lld rows",
                          (long long)b->dims[0]);
    rank = a->rank;
    memcpy(dims, a->dims, sizeof(int64_t) * (size_t)rank);
    channels = dims[rank - 1] = b->dims[1];
  }
  const int64_t ns = qi_tensor_numel(bs);
  if (bs->dtype != QINFER_DTYPE_FLOAT || bs->rank > 1 || (ns != 1 && ns != channels))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "the weight scale '%s' must be float with 1 or %lld values",
                        bs->name, (long long)channels);
  if (bz && (bz->dtype != b->dtype || bz->rank > 1 || (qi_tensor_numel(bz) != 1 && qi_tensor_numel(bz) != channels)))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "the weight zero point '%s' must be %s with 1 or %lld values",
                        bz->name, qi_dtype_name(b->dtype), (long long)channels);
  if (bias && (bias->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(bias) != channels || bias->rank != 1))
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias '%s' must be a float vector of %lld values", bias->name,
                        (long long)channels);
  if (kind == DQ_MATMUL_TO_FLOAT) {
    const qi_tensor *as = in_of(g, n, sl.a_scale), *az = in_of(g, n, sl.a_zp);
    if (as->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(as) != 1)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a_scale '%s' must be one float (per tensor)", as->name);
    if (az && (az->dtype != a->dtype || qi_tensor_numel(az) != 1))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a_zero_point '%s' must be one %s (per tensor)", az->name,
                          qi_dtype_name(a->dtype));
  }
  if (kind == DQ_CONV) { /* the pass relies on this refusal: only weights the gemm takes are fused */
    if (!qi_q_is_const(b) || !b->data || !qi_q_is_const(bs) || !bs->data || (bz && (!qi_q_is_const(bz) || !bz->data)))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the weights and their parameters must be constants");
    const int64_t count = qi_tensor_numel(b), per = count / (channels ? channels : 1);
    for (int64_t i = 0; i < count; i++) {
      const int32_t v = centred(b, bz, (size_t)i, (size_t)(i / per));
      if (v < -128 || v > 127)
        return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "weight minus zero point %d leaves [-128, 127]", v);
    }
  }
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, rank, dims);
  return QINFER_OK;
}

qi_status qi_dynamic_quantize_matmul_infer(qi_graph *g, qi_node *n, qi_error *err) { return dq_infer(g, n, DQ_MATMUL, err); }
qi_status qi_matmul_integer_to_float_infer(qi_graph *g, qi_node *n, qi_error *err) {
  return dq_infer(g, n, DQ_MATMUL_TO_FLOAT, err);
}
qi_status qi_dynamic_quantize_conv_infer(qi_graph *g, qi_node *n, qi_error *err) { return dq_infer(g, n, DQ_CONV, err); }

void qi_dynq_release(qi_node_rt *rt) {
  free(rt->state); /* the weight data belongs to rt (qi_rt_packed) */
  rt->state = NULL;
}

/* Conv geometry into s (infer validated the attributes). */
static qi_status conv_geometry(qi_graph *g, const qi_node *n, dynq_state *s, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1);
  int64_t group, out_sp[2];
  qi_nn_window_attrs win;
  QI_CHECK(qi_nn_conv_group(n, x, w, &group, err));
  QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, w->dims + 2, true, &win, err));
  QI_CHECK(qi_nn_window_output(n, &win, x->dims + 2, false, out_sp, err));
  qi_nn_window2d(&win, x->dims + 2, out_sp, &s->geom);
  s->batch = (size_t)x->dims[0];
  s->in_c = (size_t)x->dims[1];
  s->groups = (size_t)group;
  s->in_c_g = s->in_c / s->groups;
  s->out_c_g = s->channels / s->groups;
  s->in_hw = s->geom.in_h * s->geom.in_w;
  s->out_hw = s->geom.out_h * s->geom.out_w;
  s->k = s->in_c_g * s->geom.kernel_h * s->geom.kernel_w;
  const qi_window2d *gm = &s->geom;
  s->pointwise = gm->kernel_h * gm->kernel_w == 1 && gm->stride_h == 1 && gm->stride_w == 1 && gm->pad_top == 0 &&
                 gm->pad_left == 0 && gm->pad_bottom == 0 && gm->pad_right == 0;
  return QINFER_OK;
}

/* Slot 1 of the weight data: wsum, w_scale, bias (when there is one) of `ch` values each, then one int32: 1 when
 * b - b_zp leaves [-128, 127] somewhere (the matmul ops' generic loop). */
static size_t dq_consts_bytes(size_t ch, bool bias) { return (bias ? 3 : 2) * ch * 4 + 4; }

/* Fills slot 1 (fresh): per-channel scales (checked), sums and bias, and whether the weights fit int8. */
static qi_status dq_fill_consts(const qi_node *n, dynq_state *s, const qi_tensor *b, const qi_tensor *bs,
                                const qi_tensor *bz, const qi_tensor *bias, int32_t *wsum, float *w_scale,
                                float *bias_out, int32_t *wide_flag, qi_error *err) {
  const size_t ch = s->channels, k = s->k;
  bool fits = true;
  for (size_t c = 0; c < ch; c++) {
    const float v = ((const float *)bs->data)[qi_tensor_numel(bs) == 1 ? 0 : c];
    if (!(v > 0.0f) || v > 3.4e38f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "weight scale %zu of '%s' is %g; finite and > 0 expected",
                          c, bs->name, (double)v);
    w_scale[c] = v;
    int32_t sum = 0;
    for (size_t kk = 0; kk < k; kk++) {
      const int32_t v8 = centred(b, bz, b_index(s, kk, c), c);
      fits = fits && v8 >= -128 && v8 <= 127;
      sum += v8;
    }
    wsum[c] = sum;
  }
  if (bias) memcpy(bias_out, bias->data, ch * sizeof(float));
  *wide_flag = !fits;
  return QINFER_OK;
}

/* The weight data of prepare in the session's buffers (qi_rt_packed): made when fresh, else handed back as they
 * were packed from the same constants before a resize. Sets s->wsum, w_scale, bias and packed or wide. */
static qi_status dq_weights(const qi_node *n, qi_node_rt *rt, dynq_state *s, const qi_tensor *b,
                            const qi_tensor *bs, const qi_tensor *bz, const qi_tensor *bias, qi_error *err) {
  const size_t ch = s->channels, k = s->k;
  bool fresh;
  uint8_t *consts = qi_rt_packed(rt, 1, dq_consts_bytes(ch, bias != NULL), &fresh);
  if (!consts) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  int32_t *wsum = (int32_t *)(void *)consts, *wide_flag = (int32_t *)(void *)(consts + (bias ? 3 : 2) * ch * 4);
  float *w_scale = (float *)(void *)(consts + ch * 4), *bias_out = bias ? (float *)(void *)(consts + 2 * ch * 4) : NULL;
  if (fresh) QI_CHECK(dq_fill_consts(n, s, b, bs, bz, bias, wsum, w_scale, bias_out, wide_flag, err));
  s->wsum = wsum, s->w_scale = w_scale, s->bias = bias_out;
  if (k > QI_QU8_GEMM_MAX_K || *wide_flag) { /* the generic loop: b - b_zp kept whole */
    if (s->kind == DQ_CONV) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "weights the integer gemm cannot take");
    if (!(s->wide = qi_rt_packed(rt, 0, ch * k * sizeof(int16_t), &fresh)))
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    if (fresh)
      for (size_t c = 0; c < ch; c++)
        for (size_t kk = 0; kk < k; kk++) s->wide[c * k + kk] = (int16_t)centred(b, bz, b_index(s, kk, c), c);
    return QINFER_OK;
  }
  if (!ch || !k) return QINFER_OK;
  s->gemm = qi_qu8_gemm_s32_config_get(rt->isa);
  const qi_qu8_gemm_config *l = &s->gemm->layout;
  const size_t groups = s->kind == DQ_CONV ? s->groups : 1, per = ch / groups;
  s->group_bytes = l->packed_w_size(l, per, k);
  s->tile = qi_qgemm_tile(l, k, s->kind == DQ_CONV ? s->out_hw : s->rows);
  rt->scratch_bytes = qi_qgemm_scratch_bytes(l, k, s->tile);
  if (!(s->packed = qi_rt_packed(rt, 0, groups * s->group_bytes, &fresh)))
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  if (!fresh) return QINFER_OK;
  int8_t *w8 = malloc(ch * k);
  if (!w8) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  for (size_t c = 0; c < ch; c++)
    for (size_t kk = 0; kk < k; kk++) w8[c * k + kk] = (int8_t)centred(b, bz, b_index(s, kk, c), c);
  for (size_t grp = 0; grp < groups; grp++) /* header bias 0: the zero point is taken off per run */
    l->pack_w(l, per, k, w8 + grp * per * k, k, 1, NULL, w_scale + grp * per, 0,
              (uint8_t *)s->packed + grp * s->group_bytes);
  free(w8);
  return QINFER_OK;
}

static qi_status dq_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, dynq_kind kind, qi_error *err) {
  const dq_slots sl = slots_of[kind];
  dynq_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->kind = kind;
  const qi_tensor *a = qi_node_in(g, n, sl.a), *b = qi_node_in(g, n, sl.b), *bs = qi_node_in(g, n, sl.b_scale);
  const qi_tensor *bz = in_of(g, n, sl.b_zp), *bias = in_of(g, n, sl.bias);
  if (!qi_q_is_const(b) || !b->data || !qi_q_is_const(bs) || !bs->data || (bz && (!qi_q_is_const(bz) || !bz->data)) ||
      (bias && (!qi_q_is_const(bias) || !bias->data)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "B, its scale and zero point and the bias must be constants");
  if (rt->act.kind != QI_ACT_NONE && rt->act.kind != QI_ACT_CLAMP)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused Relu / Clip is supported");
  s->channels = (size_t)(kind == DQ_CONV ? b->dims[0] : b->dims[1]);
  if (kind == DQ_CONV) {
    QI_CHECK(conv_geometry(g, n, s, err));
  } else {
    s->k = (size_t)b->dims[0];
    s->rows = s->channels ? (size_t)qi_tensor_numel(qi_node_out(g, n, 0)) / s->channels : 0;
  }
  QI_CHECK(dq_weights(n, rt, s, b, bs, bz, bias, err));
  if (kind != DQ_MATMUL_TO_FLOAT) { /* the quantized input, before the gemm's tile */
    s->xq_bytes = qi_qu8_round_up((size_t)qi_tensor_numel(a), 64);
    rt->scratch_bytes += s->xq_bytes;
  }
  rt->const_inputs_packed = kind != DQ_MATMUL_TO_FLOAT; /* a_scale and a_zero_point are read per run */
  return QINFER_OK;
}

qi_status qi_dynamic_quantize_matmul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  return dq_prepare(g, n, rt, DQ_MATMUL, err);
}
qi_status qi_matmul_integer_to_float_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  return dq_prepare(g, n, rt, DQ_MATMUL_TO_FLOAT, err);
}
qi_status qi_dynamic_quantize_conv_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  return dq_prepare(g, n, rt, DQ_CONV, err);
}

/* ---- run ---- */

typedef struct dq_run {
  const dynq_state *s;
  const uint8_t *a;  /* quantized activations (tensor bytes) */
  bool a_int8;
  int32_t a_zp;      /* in the tensor's type */
  float a_scale;
  const qi_act *act;
  float *y;
} dq_run;

typedef struct pack_ctx {
  const dynq_state *s;
  const uint8_t *x; /* matmul: A; conv: the group's first input plane */
  uint8_t flip, pad;
} pack_ctx;

static void pack_rows(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const pack_ctx *p = ctx;
  const qi_qu8_gemm_config *l = &p->s->gemm->layout;
  l->pack_x(p->s->k, n1 - n0, l->nr, l->kr, p->x + n0 * p->s->k, 1, p->s->k, p->flip, dst);
}

static void pack_planes(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const pack_ctx *p = ctx;
  const qi_qu8_gemm_config *l = &p->s->gemm->layout;
  if (p->s->pointwise) l->pack_x(p->s->k, n1 - n0, l->nr, l->kr, p->x + n0, p->s->in_hw, 1, p->flip, dst);
  else qi_qu8_im2col_packed(&p->s->geom, p->s->in_c_g, p->x, p->flip, p->pad, n0, n1, l->nr, l->kr, dst);
}

/* y = (float)(S - zp_d * wsum[c]) * (a_scale * w_scale[c]) [+ bias[c]], then the fused clamp; S is the int32 sum
 * the gemm stored in y's place. `count` elements of channel c from y. */
static void epilogue(const dq_run *r, int32_t zp_d, size_t c, float *y, size_t count, size_t stride) {
  const dynq_state *s = r->s;
  const float scale = r->a_scale * s->w_scale[c];
  const uint32_t corr = (uint32_t)zp_d * (uint32_t)s->wsum[c];
  const int32_t *acc = (const int32_t *)(void *)y;
  for (size_t i = 0; i < count; i++) {
    float v = (float)(int32_t)((uint32_t)acc[i * stride] - corr) * scale;
    if (s->bias) v = v + s->bias[c];
    y[i * stride] = v;
  }
}

/* The activations' zero point in the gemm's domain; 0 on the generic loop, whose sums already take it off. */
static int32_t domain_zp(const dq_run *r) {
  return r->s->gemm ? qi_qu8_gemm_x_zero_point(&r->s->gemm->layout, r->a_zp, r->a_int8) : 0;
}

/* Matmul epilogue over rows [r0, r1): one row of N columns at a time (column c, stride 1 per row). */
static void matmul_epilogue_rows(void *arg, size_t r0, size_t r1) {
  const dq_run *r = arg;
  const size_t ch = r->s->channels;
  const int32_t zp_d = domain_zp(r);
  for (size_t row = r0; row < r1; row++)
    for (size_t c = 0; c < ch; c++) epilogue(r, zp_d, c, r->y + row * ch + c, 1, 1);
}

/* Conv epilogue over (image, channel) planes [p0, p1). */
static void conv_epilogue_planes(void *arg, size_t p0, size_t p1) {
  const dq_run *r = arg;
  const int32_t zp_d = domain_zp(r);
  for (size_t p = p0; p < p1; p++) epilogue(r, zp_d, p % r->s->channels, r->y + p * r->s->out_hw, r->s->out_hw, 1);
}

/* The generic loop (matmul ops, weights kept as int16): rows [r0, r1). */
static void generic_rows(void *arg, size_t r0, size_t r1) {
  const dq_run *r = arg;
  const dynq_state *s = r->s;
  for (size_t row = r0; row < r1; row++)
    for (size_t c = 0; c < s->channels; c++) {
      uint32_t acc = 0;
      for (size_t kk = 0; kk < s->k; kk++)
        acc += (uint32_t)((qi_q_load8(r->a, row * s->k + kk, r->a_int8) - r->a_zp) * s->wide[c * s->k + kk]);
      ((int32_t *)(void *)r->y)[row * s->channels + c] = (int32_t)acc;
    }
  for (size_t row = r0; row < r1; row++)
    for (size_t c = 0; c < s->channels; c++) epilogue(r, 0, c, r->y + row * s->channels + c, 1, 1);
}

static qi_status dq_run_op(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const dynq_state *s = rt->state;
  const dq_slots sl = slots_of[s->kind];
  const qi_tensor *a = qi_node_in(g, n, sl.a);
  qi_tensor *yt = qi_node_out(g, n, 0);
  dq_run r = {.s = s, .act = &rt->act, .y = yt->data};
  uint8_t *scratch = rt->scratch;
  if (s->kind == DQ_MATMUL_TO_FLOAT) {
    const qi_tensor *as = qi_node_in(g, n, sl.a_scale), *az = in_of(g, n, sl.a_zp);
    r.a = a->data;
    r.a_int8 = a->dtype == QINFER_DTYPE_INT8;
    r.a_scale = *(const float *)as->data;
    r.a_zp = az ? qi_q_load8(az->data, 0, r.a_int8) : 0;
    if (!(r.a_scale > 0.0f) || r.a_scale > 3.4e38f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "a_scale '%s' is %g; finite and > 0 expected", as->name,
                          (double)r.a_scale);
  } else {
    uint8_t zp;
    qi_dynamic_quantize_u8(a->data, qi_tensor_numel(a), scratch, &r.a_scale, &zp, rt->isa, ctx->pool);
    r.a = scratch;
    r.a_zp = zp;
    scratch += s->xq_bytes;
  }
  const size_t total = (size_t)qi_tensor_numel(yt);
  if (!total) return QINFER_OK;
  if (s->wide) {
    qi_parallel_for(ctx->pool, s->rows, 1, generic_rows, &r);
  } else if (!s->packed) { /* K = 0: every sum is 0 (int32 zeros are float zeros) */
    memset(r.y, 0, total * sizeof(float));
    if (s->kind == DQ_CONV) qi_parallel_for(ctx->pool, s->batch * s->channels, 1, conv_epilogue_planes, &r);
    else qi_parallel_for(ctx->pool, s->rows, 1, matmul_epilogue_rows, &r);
  } else if (s->kind == DQ_CONV) {
    const qi_qu8_gemm_config *l = &s->gemm->layout;
    const uint8_t flip = qi_qu8_gemm_x_flip(l, false);
    for (size_t image = 0; image < s->batch; image++)
      for (size_t grp = 0; grp < s->groups; grp++) {
        const pack_ctx pc = {s, r.a + (image * s->in_c + grp * s->in_c_g) * s->in_hw, flip, (uint8_t)domain_zp(&r)};
        const qi_qgemm_job job = {.cfg = l, .m = s->out_c_g, .n = s->out_hw, .k = s->k,
                                  .packed_w = (const uint8_t *)s->packed + grp * s->group_bytes, .pack = pack_planes,
                                  .pack_ctx = &pc,
                                  .c = (uint8_t *)(r.y + (image * s->channels + grp * s->out_c_g) * s->out_hw),
                                  .c_row_stride = s->out_hw, .c_col_stride = 1, .scratch = scratch, .tile = s->tile,
                                  .s32 = s->gemm->ukernel};
        qi_qgemm_tiled_run(&job, ctx->pool);
      }
    qi_parallel_for(ctx->pool, s->batch * s->channels, 1, conv_epilogue_planes, &r);
  } else {
    const qi_qu8_gemm_config *l = &s->gemm->layout;
    const pack_ctx pc = {s, r.a, qi_qu8_gemm_x_flip(l, r.a_int8), 0};
    const qi_qgemm_job job = {.cfg = l, .m = s->channels, .n = s->rows, .k = s->k, .packed_w = s->packed,
                              .pack = pack_rows, .pack_ctx = &pc, .c = (uint8_t *)r.y, .c_row_stride = 1,
                              .c_col_stride = s->channels, .scratch = scratch, .tile = s->tile, .s32 = s->gemm->ukernel};
    qi_qgemm_tiled_run(&job, ctx->pool);
    qi_parallel_for(ctx->pool, s->rows, 1, matmul_epilogue_rows, &r);
  }
  if (rt->act.kind != QI_ACT_NONE) qi_apply_act_f32(&rt->act, r.y, total);
  return QINFER_OK;
}

qi_status qi_dynamic_quantize_matmul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                         qi_error *err) {
  return dq_run_op(g, n, rt, ctx, err);
}
qi_status qi_matmul_integer_to_float_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                         qi_error *err) {
  return dq_run_op(g, n, rt, ctx, err);
}
qi_status qi_dynamic_quantize_conv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                       qi_error *err) {
  return dq_run_op(g, n, rt, ctx, err);
}
