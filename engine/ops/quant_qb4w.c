/* W4A8: 8-bit activations x 4-bit constant weights on the qb4w gemm (kernels/qu8-gemm-qb4w), the ops the QDQ pass
 * makes of DQ(x 8-bit), DQ(w int4 / uint4) [, bias] -> Conv / MatMul / Gemm [-> Relu / Clip] -> Q
 * (engine/pass_qdq_w4a8.c). Domain ai.qinfer, internal:
 *
 *   QLinearConvW4   (x, x_scale, x_zero_point, w, w_scale, [w_zero_point], y_scale, y_zero_point, [B]);
 *                   Conv's attributes and block_size
 *   QLinearMatMulW4 (A, a_scale, a_zero_point, B, b_scale, [b_zero_point], y_scale, y_zero_point, [bias]);
 *                   transB (B is [K, N], or [N, K] with transB = 1) and block_size
 *
 * The weights are DequantizeLinear's: int4 or uint4 nibbles with float scales and optional zero points of the same
 * type, per tensor or per output channel (block_size 0), or in blocks of block_size along the reduction axis
 * (block_size > 0, the parameters shaped like the weights with ceil(axis length / block_size) along that axis:
 * Conv's input channels (axis 1), MatMul's K (axis 0 of B), Gemm's K (axis 1 of B with transB)); a Conv weight may
 * also be stored flat [M, C/g * taps] with kernel_shape, its blocks then block_size consecutive k). A Conv block of
 * `block` input channels is a contiguous range of bl = block * kh * kw rows of the im2col (k = (c * kh + y) * kw
 * + x) when its parameters are the same at every tap (y, x): infer refuses parameters that vary over the taps, and
 * blocks the kernels cannot take (more than one block per channel and bl not a multiple of 16).
 *
 * The rule (kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h) with s[b][m] = (x_scale * w_scale[m][b]) / y_scale:
 *   B int32 (one block per channel only): at x_scale * w_scale[m], bias_q: exactly the INT8 rule;
 *   B float: the real value, bias_f[m] = B[m] / y_scale (binary32 division).
 * The weights are packed once at prepare (4 bits in memory), per group. Depthwise convolutions (one block per
 * channel) take weights expanded once to int8 (q - zp, 9 bytes a channel for 3x3; the only place 4-bit weights are
 * widened): with an int32 or no bias the int8 depthwise kernel (the INT8 rule, bit for bit), with a float bias (or
 * input and output types that differ) a direct loop of the same rule; a gemm per channel would waste most of its
 * tile on a 1-row, 9-deep product. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "engine/ops/quant_qb4w.h"
#include "kernels/qu8-dwconv/qu8-dwconv.h"

typedef enum { W4_CONV, W4_MATMUL } w4_kind;
enum { SL_X, SL_XS, SL_XZ, SL_W, SL_WS, SL_WZ, SL_YS, SL_YZ, SL_B };

/* What infer establishes about the weights: M output channels (columns), groups, K per group, blocks. */
typedef struct w4_shape {
  size_t m, groups, m_g, k, taps;
  size_t block_k;  /* block length in k (Conv: block_size * taps); k when per channel */
  size_t nb;       /* blocks per channel */
  bool blocked;    /* parameters shaped per block (block_size > 0) */
  bool flat;       /* Conv weight stored [M, K] (qi_nn_conv_weight_view): blocks of block_size consecutive k */
  bool trans_b;
  int b_axis;      /* MatMul: the axis of B that is K */
} w4_shape;

/* Flat element index of weight (channel c, reduction index j of its group) in w's data. */
static size_t w_index(w4_kind kind, const w4_shape *sh, size_t c, size_t j) {
  if (kind == W4_CONV || sh->trans_b) return c * sh->k + j;
  return j * sh->m + c;
}

/* Flat index of the scale / zero point of (channel c, block b). */
static size_t p_index(w4_kind kind, const w4_shape *sh, const qi_tensor *scale, size_t c, size_t b) {
  if (!sh->blocked) return qi_tensor_numel(scale) == 1 ? 0 : c;
  if (kind == W4_CONV) return sh->flat ? c * sh->nb + b : (c * sh->nb + b) * sh->taps; /* [M, nb, kh, kw]: tap 0 */
  return sh->trans_b ? c * sh->nb + b : b * sh->m + c;
}

static const char *op_name(w4_kind kind) { return kind == W4_CONV ? "QLinearConvW4" : "QLinearMatMulW4"; }

/* Shapes of the weight parameters, their constancy and values (scales finite > 0, the same over a Conv block's
 * taps), the block the kernels need, the bias. */
static qi_status check_weights(qi_graph *g, const qi_node *n, w4_kind kind, const w4_shape *sh, qi_error *err) {
  const qi_tensor *w = qi_node_in(g, n, SL_W), *ws = qi_node_in(g, n, SL_WS), *wz = qi_node_in(g, n, SL_WZ);
  const qi_tensor *b = qi_node_in(g, n, SL_B);
  if (!qi_q_is_const(w) || !w->data || !qi_q_is_const(ws) || !ws->data || (wz && (!qi_q_is_const(wz) || !wz->data)) ||
      (b && (!qi_q_is_const(b) || !b->data)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the weights, their parameters and the bias must be constants");
  if (ws->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "w_scale '%s' has type %s; float expected", ws->name,
                        qi_dtype_name(ws->dtype));
  if (wz && (wz->dtype != w->dtype || wz->rank != ws->rank || qi_tensor_numel(wz) != qi_tensor_numel(ws)))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "w_zero_point '%s' must be %s shaped like w_scale '%s'",
                        wz->name, qi_dtype_name(w->dtype), ws->name);
  if (!sh->blocked) {
    if (ws->rank > 1 || (qi_tensor_numel(ws) != 1 && (size_t)qi_tensor_numel(ws) != sh->m))
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "w_scale '%s' must hold 1 or %zu values (per output "
                          "channel)", ws->name, sh->m);
  } else {
    /* shaped like w with nb along the blocked axis */
    const int axis = kind == W4_CONV ? 1 : sh->b_axis;
    bool ok = ws->rank == w->rank;
    for (int i = 0; ok && i < w->rank; i++) ok = ws->dims[i] == (i == axis ? (int64_t)sh->nb : w->dims[i]);
    if (!ok)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "w_scale '%s' must be shaped like w with %zu blocks "
                          "along axis %d", ws->name, sh->nb, axis);
  }
  const float *sv = ws->data;
  for (int64_t i = 0; i < qi_tensor_numel(ws); i++)
    if (!isfinite(sv[i]) || sv[i] <= 0.0f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "w_scale '%s'[%lld] is %g; finite and > 0 expected",
                          ws->name, (long long)i, (double)sv[i]);
  if (kind == W4_CONV && sh->blocked && !sh->flat) /* a block is one k range only when its parameters are the same at each tap */
    for (int64_t i = 0; i < qi_tensor_numel(ws); i++) {
      const int64_t first = i - i % (int64_t)sh->taps;
      if (memcmp(&sv[i], &sv[first], sizeof(float)) != 0 ||
          (wz && qi_nibble(wz->data, (size_t)i) != qi_nibble(wz->data, (size_t)first)))
        return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the block parameters of '%s' vary over the kernel taps: "
                            "a block is then no k range of the im2col", ws->name);
    }
  if (sh->k == 0 || sh->k > QI_QU8_GEMM_MAX_K)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a reduction of %zu; 1..%d expected", sh->k, QI_QU8_GEMM_MAX_K);
  if (sh->nb > 1 && sh->block_k % 16 != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "blocks of %zu k-values; the W4A8 kernels take multiples of 16",
                        sh->block_k);
  if (b) {
    const bool int32 = b->dtype == QINFER_DTYPE_INT32;
    if ((!int32 && b->dtype != QINFER_DTYPE_FLOAT) || b->rank != 1 || (size_t)b->dims[0] != sh->m)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias '%s' must be an int32 or float vector of %zu values",
                          b->name, sh->m);
    if (int32 && sh->nb > 1)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "an int32 bias needs one scale per channel; blocked weights "
                          "take a float bias");
  }
  return QINFER_OK;
}

/* Conv: checks x and w, fills the weight shape and the output dims (rank in *rank). */
static qi_status conv_shape(qi_graph *g, const qi_node *n, w4_shape *sh, int64_t *dims, int *rank, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, SL_X), *w = qi_node_in(g, n, SL_W);
  if (x->rank < 3 || x->rank > 4)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x has rank %d; 1-D and 2-D convolutions only", x->rank);
  int64_t group, out_sp[2];
  qi_nn_window_attrs win;
  qi_tensor view;
  QI_CHECK(qi_nn_conv_weight_view(n, x, w, &view, &sh->flat, err));
  w = &view;
  QI_CHECK(qi_nn_conv_group(n, x, w, &group, err));
  QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, w->dims + 2, true, &win, err));
  QI_CHECK(qi_nn_window_output(n, &win, x->dims + 2, false, out_sp, err));
  sh->m = (size_t)w->dims[0];
  sh->groups = (size_t)group;
  sh->m_g = sh->m / sh->groups;
  sh->taps = 1;
  for (int i = 2; i < w->rank; i++) sh->taps *= (size_t)w->dims[i];
  const size_t in_c_g = (size_t)w->dims[1];
  sh->k = in_c_g * sh->taps;
  const int64_t block = qi_attr_int(n, "block_size", 0);
  if (block < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "block_size %lld < 0", (long long)block);
  sh->blocked = block > 0;
  const size_t along = sh->flat ? sh->k : in_c_g, block_k = sh->flat ? (size_t)block : (size_t)block * sh->taps;
  sh->nb = sh->blocked ? (along + (size_t)block - 1) / (size_t)block : 1;
  sh->block_k = sh->blocked && sh->nb > 1 ? block_k : sh->k;
  *rank = x->rank;
  dims[0] = x->dims[0], dims[1] = w->dims[0];
  for (int i = 0; i < x->rank - 2; i++) dims[2 + i] = out_sp[i];
  return QINFER_OK;
}

/* MatMul / Gemm: A [..., K] x B [K, N] (transB: [N, K]). */
static qi_status matmul_shape(qi_graph *g, const qi_node *n, w4_shape *sh, int64_t *dims, int *rank, qi_error *err) {
  const qi_tensor *a = qi_node_in(g, n, SL_X), *w = qi_node_in(g, n, SL_W);
  if (w->rank != 2) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "B has rank %d; 2-D expected", w->rank);
  sh->trans_b = qi_attr_int(n, "transB", 0) != 0;
  sh->b_axis = sh->trans_b ? 1 : 0;
  sh->k = (size_t)w->dims[sh->b_axis];
  sh->m = (size_t)w->dims[1 - sh->b_axis];
  sh->groups = 1, sh->m_g = sh->m, sh->taps = 1;
  if (a->rank < 1 || (size_t)a->dims[a->rank - 1] != sh->k)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A's last dimension does not match B's K = %zu", sh->k);
  const int64_t block = qi_attr_int(n, "block_size", 0);
  if (block < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "block_size %lld < 0", (long long)block);
  sh->blocked = block > 0;
  sh->nb = sh->blocked ? (sh->k + (size_t)block - 1) / (size_t)block : 1;
  sh->block_k = sh->blocked && sh->nb > 1 ? (size_t)block : sh->k;
  *rank = a->rank;
  memcpy(dims, a->dims, sizeof(int64_t) * (size_t)a->rank);
  dims[a->rank - 1] = (int64_t)sh->m;
  return QINFER_OK;
}

/* Every check of the op; the weight shape, output dims and dtype. */
static qi_status w4_read(qi_graph *g, const qi_node *n, w4_kind kind, w4_shape *sh, int64_t *dims, int *rank,
                         int *y_dtype, qi_error *err) {
  memset(sh, 0, sizeof *sh);
  const qi_tensor *x = qi_node_in(g, n, SL_X), *w = qi_node_in(g, n, SL_W);
  if (!x || !w || !qi_node_in(g, n, SL_XS) || !qi_node_in(g, n, SL_WS) || !qi_node_in(g, n, SL_YS))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%s needs x, x_scale, w, w_scale and y_scale",
                        op_name(kind));
  if (!qi_q_is_8bit(x->dtype) || !qi_dtype_is_4bit(w->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x has type %s and w %s; 8-bit x and 4-bit w expected",
                        qi_dtype_name(x->dtype), qi_dtype_name(w->dtype));
  qi_qparam1 xq, yq;
  QI_CHECK(qi_qparam1_get(g, n, SL_XS, SL_XZ, x->dtype, false, &xq, err));
  const qi_tensor *yz = qi_node_in(g, n, SL_YZ);
  *y_dtype = yz ? yz->dtype : QINFER_DTYPE_UINT8;
  if (!qi_q_is_8bit(*y_dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "y_zero_point has type %s; uint8 or int8 expected",
                        qi_dtype_name(*y_dtype));
  QI_CHECK(qi_qparam1_get(g, n, SL_YS, SL_YZ, *y_dtype, false, &yq, err));
  QI_CHECK(kind == W4_CONV ? conv_shape(g, n, sh, dims, rank, err) : matmul_shape(g, n, sh, dims, rank, err));
  return check_weights(g, n, kind, sh, err);
}

static qi_status w4_infer(qi_graph *g, qi_node *n, w4_kind kind, qi_error *err) {
  w4_shape sh;
  int64_t dims[QI_MAX_RANK];
  int rank = 0, y_dtype = QINFER_DTYPE_UINT8; /* set by w4_read on success (armv7 gcc cannot see it) */
  QI_CHECK(w4_read(g, n, kind, &sh, dims, &rank, &y_dtype, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  qi_tensor_set_shape(y, y_dtype, rank, dims);
  return QINFER_OK;
}

qi_status qi_qlinearconv_w4_infer(qi_graph *g, qi_node *n, qi_error *err) { return w4_infer(g, n, W4_CONV, err); }
qi_status qi_qlinearmatmul_w4_infer(qi_graph *g, qi_node *n, qi_error *err) { return w4_infer(g, n, W4_MATMUL, err); }

/* ------------------------------------------------------------------------------------------------ prepare */

typedef struct w4_state {
  w4_kind kind;
  w4_shape sh;
  size_t rows; /* MatMul: rows of A */
  /* Conv geometry */
  qi_window2d geom;
  size_t batch, in_c, in_c_g, in_hw, out_hw;
  bool pointwise;
  /* gemm */
  const qi_qu8_gemm_qb4w_config *cfg;
  qi_qu8_gemm_config layout; /* the activation layout of cfg, for the tiled driver */
  size_t group_bytes, tile;
  const void *packed;
  uint8_t x_flip, x_pad;
  qi_qu8_gemm_qb4w_params params;
  /* depthwise: weights [m][taps] (q - zp), then per channel the int32 bias (or float bias_f), the float scale;
   * on the int8 depthwise kernel (dw) or the direct loop (dw_direct) */
  qi_qu8_dwconv_minmax_ukernel_fn dw;
  qi_qu8_dwconv_params dwp;
  bool dw_direct;
  int32_t dw_x_zp, dw_y_zp;
  float dw_lo, dw_hi;
  const int8_t *dw_w;
  const int32_t *dw_b;
  const float *dw_bf, *dw_s;
} w4_state;

void qi_qb4w_release(qi_node_rt *rt) {
  free(rt->state); /* the packed weights belong to rt (qi_rt_packed) */
  rt->state = NULL;
}

/* The output parameters, read once: scales, zero points, and the range narrowed by a fused clamp. */
typedef struct w4_io {
  float xs, ys;
  int32_t x_zp, y_zp, qmin, qmax;
  bool x_int8, y_int8;
} w4_io;

static qi_status read_io(qi_graph *g, const qi_node *n, const qi_node_rt *rt, w4_io *io, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, SL_X), *y = qi_node_out(g, n, 0);
  qi_qparam1 xq, yq;
  QI_CHECK(qi_qparam1_get(g, n, SL_XS, SL_XZ, x->dtype, true, &xq, err));
  QI_CHECK(qi_qparam1_get(g, n, SL_YS, SL_YZ, y->dtype, true, &yq, err));
  io->xs = xq.scale, io->ys = yq.scale, io->x_zp = xq.zero_point, io->y_zp = yq.zero_point;
  io->x_int8 = x->dtype == QINFER_DTYPE_INT8, io->y_int8 = y->dtype == QINFER_DTYPE_INT8;
  qi_qconv_out_range(&rt->act, y->dtype, io->ys, io->y_zp, &io->qmin, &io->qmax);
  return QINFER_OK;
}

static void set_nibble(uint8_t *p, size_t i, uint8_t v) {
  p[i >> 1] = (uint8_t)((p[i >> 1] & ((i & 1) ? 0x0f : 0xf0)) | (v << ((i & 1) * 4)));
}

/* One group's weights in the packer's terms: rows [c0, c0 + m_g), nibbles and parameters copied into contiguous
 * row-major buffers (a group may start inside a byte), the composed scales and the biases. */
typedef struct w4_group {
  uint8_t *w, *zp;
  float *w_scale, *scale, *bias_f;
  int32_t *bias_q;
} w4_group;

static void group_free(w4_group *gr) {
  free(gr->w), free(gr->zp), free(gr->w_scale), free(gr->scale), free(gr->bias_f), free(gr->bias_q);
}

static bool group_alloc(w4_group *gr, const w4_shape *sh, bool zp, bool bias_f, bool bias_q) {
  memset(gr, 0, sizeof *gr);
  const size_t mb = sh->m_g * sh->nb;
  gr->w = calloc(sh->m_g * sh->k / 2 + 1, 1);
  gr->zp = zp ? calloc(mb / 2 + 1, 1) : NULL;
  gr->w_scale = malloc(mb * sizeof(float));
  gr->scale = malloc(mb * sizeof(float));
  gr->bias_f = bias_f ? malloc(sh->m_g * sizeof(float)) : NULL;
  gr->bias_q = bias_q ? malloc(sh->m_g * sizeof(int32_t)) : NULL;
  return gr->w && (!zp || gr->zp) && gr->w_scale && gr->scale && (!bias_f || gr->bias_f) && (!bias_q || gr->bias_q);
}

static void group_fill(w4_group *gr, w4_kind kind, const w4_shape *sh, size_t c0, const qi_tensor *w,
                       const qi_tensor *ws, const qi_tensor *wz, const qi_tensor *b, const w4_io *io) {
  const uint8_t *wd = w->data;
  for (size_t i = 0; i < sh->m_g; i++) {
    for (size_t j = 0; j < sh->k; j++) set_nibble(gr->w, i * sh->k + j, qi_nibble(wd, w_index(kind, sh, c0 + i, j)));
    for (size_t bi = 0; bi < sh->nb; bi++) {
      const size_t p = p_index(kind, sh, ws, c0 + i, bi);
      gr->w_scale[i * sh->nb + bi] = ((const float *)ws->data)[p];
      gr->scale[i * sh->nb + bi] = (io->xs * gr->w_scale[i * sh->nb + bi]) / io->ys;
      if (wz) set_nibble(gr->zp, i * sh->nb + bi, qi_nibble(wz->data, p));
    }
    if (gr->bias_q) gr->bias_q[i] = ((const int32_t *)b->data)[c0 + i];
    if (gr->bias_f) gr->bias_f[i] = ((const float *)b->data)[c0 + i] / io->ys;
  }
}

/* Packs every group's weights into s->packed (fresh buffer). */
static qi_status pack_groups(const qi_node *n, w4_state *s, const qi_tensor *w, const qi_tensor *ws,
                             const qi_tensor *wz, const qi_tensor *b, const w4_io *io, void *packed, qi_error *err) {
  const w4_shape *sh = &s->sh;
  const bool bias_q = b && b->dtype == QINFER_DTYPE_INT32, bias_f = b && !bias_q;
  w4_group gr;
  if (!group_alloc(&gr, sh, wz != NULL, bias_f, bias_q)) {
    group_free(&gr);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  }
  const int32_t x_zp_d = qi_act_domain_value(s->cfg->x_domain, io->x_zp, io->x_int8);
  for (size_t grp = 0; grp < sh->groups; grp++) {
    group_fill(&gr, s->kind, sh, grp * sh->m_g, w, ws, wz, b, io);
    const qi_qb4w_source src = {.m = sh->m_g, .k = sh->k, .block = sh->block_k, .w = gr.w, .w_m_stride = sh->k,
                                .w_k_stride = 1, .w_signed = w->dtype == QINFER_DTYPE_INT4, .scale = gr.w_scale,
                                .scale_m_stride = sh->nb, .scale_b_stride = 1, .zero_point = gr.zp,
                                .zp_m_stride = sh->nb, .zp_b_stride = 1, .zero_point_default = 0};
    qi_qu8_gemm_qb4w_pack_w(s->cfg, &src, s->params.bl, gr.scale, gr.bias_f, gr.bias_q, x_zp_d,
                            (uint8_t *)packed + grp * s->group_bytes);
  }
  group_free(&gr);
  return QINFER_OK;
}

static qi_status prepare_gemm(qi_graph *g, const qi_node *n, qi_node_rt *rt, w4_state *s, const w4_io *io,
                              qi_error *err) {
  const qi_tensor *w = qi_node_in(g, n, SL_W), *ws = qi_node_in(g, n, SL_WS), *wz = qi_node_in(g, n, SL_WZ);
  const qi_tensor *b = qi_node_in(g, n, SL_B);
  const w4_shape *sh = &s->sh;
  s->cfg = qi_qu8_gemm_qb4w_config_get(rt->isa);
  rt->kernel = s->cfg->name;
  s->layout = (qi_qu8_gemm_config){.name = s->cfg->name, .features = s->cfg->features, .mr = s->cfg->mr,
                                   .nr = s->cfg->nr, .kr = s->cfg->kr, .x_domain = s->cfg->x_domain,
                                   .pack_x = s->cfg->pack_x};
  s->params.out = qi_qu8_gemm_params_make(io->y_zp, io->qmin, io->qmax, io->y_int8);
  s->params.bl = sh->nb > 1 ? sh->block_k : qi_qu8_gemm_qb4w_channel_block(sh->k);
  if (s->params.bl % s->cfg->kr != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "blocks of %zu k-values do not fit kernel %s (kr %zu)",
                        s->params.bl, s->cfg->name, s->cfg->kr);
  s->x_flip = qi_act_domain_flip(s->cfg->x_domain, io->x_int8);
  s->x_pad = (uint8_t)qi_act_domain_value(s->cfg->x_domain, io->x_zp, io->x_int8);
  s->group_bytes = qi_qu8_gemm_qb4w_packed_size(s->cfg, sh->m_g, sh->k, s->params.bl);
  bool fresh;
  void *packed = qi_rt_packed(rt, 0, sh->groups * s->group_bytes, &fresh);
  if (!packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  if (fresh) QI_CHECK(pack_groups(n, s, w, ws, wz, b, io, packed, err));
  s->packed = packed;
  s->tile = qi_qgemm_tile(&s->layout, sh->k, s->kind == W4_CONV ? s->out_hw : s->rows);
  rt->scratch_bytes = qi_qgemm_scratch_bytes(&s->layout, sh->k, s->tile);
  return QINFER_OK;
}

/* Depthwise, per-channel weights: q - zp as int8, and per channel the bias (int32 bias_q for the depthwise kernel,
 * float bias_f = B / y_scale for the direct loop) and the composed scale. The int8 depthwise kernel when the bias
 * is int32 or absent and its own conditions hold (the INT8 rule); else the direct loop (dw_direct). */
static qi_status prepare_depthwise(qi_graph *g, const qi_node *n, qi_node_rt *rt, w4_state *s, const w4_io *io,
                                   qi_error *err) {
  const qi_tensor *w = qi_node_in(g, n, SL_W), *ws = qi_node_in(g, n, SL_WS), *wz = qi_node_in(g, n, SL_WZ);
  const qi_tensor *b = qi_node_in(g, n, SL_B), *x = qi_node_in(g, n, SL_X);
  const size_t m = s->sh.m, taps = s->sh.taps, w_bytes = qi_qu8_round_up(m * taps, 4);
  const bool bias_f = b && b->dtype == QINFER_DTYPE_FLOAT;
  if (!bias_f && x->dtype == qi_node_out(g, n, 0)->dtype && io->qmin <= io->y_zp && io->y_zp <= io->qmax) {
    const qi_qu8_dwconv_config *dw = qi_qu8_dwconv_config_get(rt->isa);
    const bool k3 = s->geom.kernel_h == 3 && s->geom.kernel_w == 3;
    s->dw = k3 ? dw->ukernel_3x3 : dw->ukernel_any;
    rt->kernel = k3 ? dw->name_3x3 : dw->name_any;
    s->dwp = dw->init_params(dw->x_domain, io->x_zp, io->y_zp, io->qmin, io->qmax, io->x_int8);
  } else {
    s->dw_direct = true;
    rt->kernel = "qb4w direct depthwise loop";
    s->x_flip = io->x_int8 ? 0x80 : 0; /* (b ^ x_flip) - dw_x_zp = the value minus its zero point */
    s->dw_x_zp = io->x_zp + (io->x_int8 ? 128 : 0);
    s->dw_y_zp = io->y_zp, s->dw_lo = (float)(io->qmin - io->y_zp), s->dw_hi = (float)(io->qmax - io->y_zp);
  }
  bool fresh;
  uint8_t *buf = qi_rt_packed(rt, 0, w_bytes + m * (sizeof(int32_t) + sizeof(float)), &fresh);
  if (!buf) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  int8_t *wq = (int8_t *)buf;
  int32_t *bias = (int32_t *)(void *)(buf + w_bytes);
  float *bias_fv = (float *)(void *)(buf + w_bytes);
  float *scale = (float *)(void *)(buf + w_bytes + m * sizeof(int32_t));
  for (size_t c = 0; fresh && c < m; c++) {
    const size_t p = p_index(W4_CONV, &s->sh, ws, c, 0);
    const bool sgn = w->dtype == QINFER_DTYPE_INT4;
    const int32_t zp = wz ? qi_nibble_value(qi_nibble(wz->data, p), sgn) : 0;
    for (size_t t = 0; t < taps; t++)
      wq[c * taps + t] = (int8_t)(qi_nibble_value(qi_nibble(w->data, c * taps + t), sgn) - zp);
    if (bias_f) bias_fv[c] = ((const float *)b->data)[c] / io->ys;
    else bias[c] = b ? ((const int32_t *)b->data)[c] : 0;
    scale[c] = (io->xs * ((const float *)ws->data)[p]) / io->ys;
  }
  s->dw_w = wq, s->dw_b = bias, s->dw_bf = bias_f ? bias_fv : NULL, s->dw_s = scale;
  return QINFER_OK;
}

static qi_status w4_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, w4_kind kind, qi_error *err) {
  w4_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->kind = kind;
  int64_t dims[QI_MAX_RANK];
  int rank = 0, y_dtype = QINFER_DTYPE_UINT8;
  QI_CHECK(w4_read(g, n, kind, &s->sh, dims, &rank, &y_dtype, err));
  if (rt->act.kind != QI_ACT_NONE && rt->act.kind != QI_ACT_CLAMP)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused Relu / Clip is supported on a quantized output");
  w4_io io;
  QI_CHECK(read_io(g, n, rt, &io, err));
  const qi_tensor *x = qi_node_in(g, n, SL_X);
  if (kind == W4_MATMUL) {
    s->rows = (size_t)qi_tensor_numel(x) / s->sh.k;
  } else {
    int64_t group, out_sp[2];
    qi_nn_window_attrs win;
    qi_tensor view;
    bool flat;
    QI_CHECK(qi_nn_conv_weight_view(n, x, qi_node_in(g, n, SL_W), &view, &flat, err));
    QI_CHECK(qi_nn_conv_group(n, x, &view, &group, err));
    QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, view.dims + 2, true, &win, err));
    QI_CHECK(qi_nn_window_output(n, &win, x->dims + 2, false, out_sp, err));
    qi_nn_window2d(&win, x->dims + 2, out_sp, &s->geom);
    const qi_window2d *gm = &s->geom;
    s->batch = (size_t)x->dims[0];
    s->in_c = (size_t)x->dims[1];
    s->in_c_g = s->in_c / s->sh.groups;
    s->in_hw = gm->in_h * gm->in_w;
    s->out_hw = gm->out_h * gm->out_w;
    s->pointwise = s->sh.taps == 1 && gm->stride_h == 1 && gm->stride_w == 1 && gm->pad_top == 0 &&
                   gm->pad_left == 0 && gm->pad_bottom == 0 && gm->pad_right == 0;
    if (s->sh.groups == s->in_c && s->sh.groups > 1 && s->sh.nb == 1) {
      QI_CHECK(prepare_depthwise(g, n, rt, s, &io, err));
      rt->const_inputs_packed = true;
      return QINFER_OK;
    }
  }
  QI_CHECK(prepare_gemm(g, n, rt, s, &io, err));
  rt->const_inputs_packed = true;
  return QINFER_OK;
}

qi_status qi_qlinearconv_w4_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  return w4_prepare(g, n, rt, W4_CONV, err);
}
qi_status qi_qlinearmatmul_w4_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  return w4_prepare(g, n, rt, W4_MATMUL, err);
}

/* ------------------------------------------------------------------------------------------------ run */

typedef struct w4_pack_ctx {
  const w4_state *s;
  const uint8_t *x; /* MatMul: A; Conv: the group's first input plane */
} w4_pack_ctx;

static void pack_rows(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const w4_pack_ctx *p = ctx;
  const qi_qu8_gemm_config *l = &p->s->layout;
  const size_t k = p->s->sh.k;
  l->pack_x(k, n1 - n0, l->nr, l->kr, p->x + n0 * k, 1, k, p->s->x_flip, dst);
}

static void pack_planes(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const w4_pack_ctx *p = ctx;
  const w4_state *s = p->s;
  const qi_qu8_gemm_config *l = &s->layout;
  if (s->pointwise) l->pack_x(s->sh.k, n1 - n0, l->nr, l->kr, p->x + n0, s->in_hw, 1, s->x_flip, dst);
  else qi_qu8_im2col_packed(&s->geom, s->in_c_g, p->x, s->x_flip, s->x_pad, n0, n1, l->nr, l->kr, dst);
}

typedef struct w4_dw_task {
  const w4_state *s;
  const uint8_t *x;
  uint8_t *y;
} w4_dw_task;

static void dw_planes(void *arg, size_t begin, size_t end) {
  const w4_dw_task *t = arg;
  const w4_state *s = t->s;
  const size_t m = s->sh.m, multiplier = m / s->in_c, taps = s->sh.taps;
  for (size_t i = begin; i < end; i++) {
    const size_t image = i / m, oc = i % m, ic = oc / multiplier;
    s->dw(&s->geom, t->x + (image * s->in_c + ic) * s->in_hw, s->dw_w + oc * taps, s->dw_b[oc], s->dw_s[oc],
          t->y + i * s->out_hw, &s->dwp);
  }
}

/* The direct depthwise loop: per output pixel the exact int32 sum of (x - x_zp) * (q - zp) over the taps inside the
 * input (padding taps add 0), then the family's rule with one block: f = bias_f + (float)sum * s, clamped,
 * rounded half to even (the same bytes as the gemm). Rows in chunks of 256 pixels; the taps' inner loops run over
 * the pixels whose input lies inside the row. */
/* acc[j] += ((x[j * stride] ^ flip) - zp) * w, j < n: unit and 2 strides spelled out so that the compiler
 * vectorizes them. */
static void dw_row(int32_t *restrict acc, const uint8_t *restrict x, size_t n, size_t stride, uint8_t flip,
                   int32_t zp, int32_t w) {
  /* |(x ^ flip) - zp| <= 255 and |w| <= 15: the difference and the product fit int16, which vectorizes better */
  const int16_t z = (int16_t)zp, w16 = (int16_t)w;
  if (stride == 1)
    for (size_t j = 0; j < n; j++) acc[j] += (int16_t)((int16_t)((int16_t)(x[j] ^ flip) - z) * w16);
  else if (stride == 2)
    for (size_t j = 0; j < n; j++) acc[j] += (int16_t)((int16_t)((int16_t)(x[2 * j] ^ flip) - z) * w16);
  else
    for (size_t j = 0; j < n; j++) acc[j] += (int16_t)((int16_t)((int16_t)(x[j * stride] ^ flip) - z) * w16);
}

/* The three taps of a 3-wide row at once (stride 1 or 2, dilation 1), every one inside the row:
 * acc[j] += sum_t ((x[j * stride + t] ^ flip) - zp) * w[t]. */
static void dw_row3(int32_t *restrict acc, const uint8_t *restrict x, size_t n, size_t stride, uint8_t flip,
                    int32_t zp, const int8_t *w) {
  const int16_t z = (int16_t)zp, w0 = w[0], w1 = w[1], w2 = w[2];
#define QB4W_TAP(i, wt) (int16_t)((int16_t)((int16_t)(x[i] ^ flip) - z) * (wt))
  if (stride == 1)
    for (size_t j = 0; j < n; j++) acc[j] += QB4W_TAP(j, w0) + QB4W_TAP(j + 1, w1) + QB4W_TAP(j + 2, w2);
  else
    for (size_t j = 0; j < n; j++) acc[j] += QB4W_TAP(2 * j, w0) + QB4W_TAP(2 * j + 1, w1) + QB4W_TAP(2 * j + 2, w2);
#undef QB4W_TAP
}

static void dw_direct_planes(void *arg, size_t begin, size_t end) {
  const w4_dw_task *t = arg;
  const w4_state *s = t->s;
  const qi_window2d *gm = &s->geom;
  const size_t m = s->sh.m, multiplier = m / s->in_c;
  enum { CHUNK = 256 };
  int32_t acc[CHUNK];
  for (size_t i = begin; i < end; i++) {
    const size_t image = i / m, oc = i % m;
    const uint8_t *x = t->x + (image * s->in_c + oc / multiplier) * s->in_hw;
    const int8_t *w = s->dw_w + oc * gm->kernel_h * gm->kernel_w;
    const float bias = s->dw_bf ? s->dw_bf[oc] : 0.0f, scale = s->dw_s[oc];
    const int32_t bias_q = s->dw_bf ? 0 : s->dw_b[oc];
    uint8_t *y = t->y + i * s->out_hw;
    for (size_t oy = 0; oy < gm->out_h; oy++)
      for (size_t o0 = 0; o0 < gm->out_w; o0 += CHUNK) {
        const size_t o1 = gm->out_w - o0 < CHUNK ? gm->out_w : o0 + CHUNK;
        for (size_t ox = o0; ox < o1; ox++) acc[ox - o0] = bias_q;
        for (size_t ky = 0; ky < gm->kernel_h; ky++) {
          const size_t iy = oy * gm->stride_h + ky * gm->dilation_h - gm->pad_top; /* wraps when in padding */
          if (iy >= gm->in_h) continue;
          const uint8_t *row = x + iy * gm->in_w;
          /* [lo3, hi3): the pixels whose three taps of a 1-dilated 3-wide row all lie inside the row */
          size_t lo3 = o1, hi3 = o1;
          if (gm->kernel_w == 3 && gm->dilation_w == 1 && gm->stride_w <= 2) {
            lo3 = o0, hi3 = o1;
            while (lo3 < hi3 && lo3 * gm->stride_w < gm->pad_left) lo3++;
            while (hi3 > lo3 && (hi3 - 1) * gm->stride_w + 2 - gm->pad_left >= gm->in_w) hi3--;
            if (lo3 < hi3)
              dw_row3(acc + (lo3 - o0), row + lo3 * gm->stride_w - gm->pad_left, hi3 - lo3, gm->stride_w, s->x_flip,
                      s->dw_x_zp, w + ky * 3);
          }
          for (size_t kx = 0; kx < gm->kernel_w; kx++) { /* every tap of the other pixels */
            const int32_t wv = w[ky * gm->kernel_w + kx];
            const size_t off = kx * gm->dilation_w; /* ix = ox * stride + off - pad_left, inside [0, in_w) */
            size_t lo = o0, hi = o1;
            while (lo < hi && lo * gm->stride_w + off < gm->pad_left) lo++;
            while (hi > lo && (hi - 1) * gm->stride_w + off - gm->pad_left >= gm->in_w) hi--;
            const size_t a = lo < lo3 ? lo : lo3, bnd = hi < lo3 ? hi : lo3; /* [lo, hi) before lo3 */
            if (a < bnd) dw_row(acc + (a - o0), row + a * gm->stride_w + off - gm->pad_left, bnd - a, gm->stride_w,
                                s->x_flip, s->dw_x_zp, wv);
            const size_t c = lo > hi3 ? lo : hi3; /* [lo, hi) after hi3 */
            if (c < hi) dw_row(acc + (c - o0), row + c * gm->stride_w + off - gm->pad_left, hi - c, gm->stride_w,
                               s->x_flip, s->dw_x_zp, wv);
          }
        }
        uint8_t *yr = y + oy * gm->out_w;
        for (size_t ox = o0; ox < o1; ox++) {
          float v = bias + (float)acc[ox - o0] * scale;
          v = v < s->dw_lo ? s->dw_lo : v;
          v = v > s->dw_hi ? s->dw_hi : v;
          /* round half to even: after the clamp |v| <= 255, where adding and taking off 1.5 * 2^23 rounds exactly
           * as lrintf does (and vectorizes; lrintf is a library call here) */
          const float r = (v + 12582912.0f) - 12582912.0f;
          yr[ox] = (uint8_t)((int32_t)r + s->dw_y_zp);
        }
      }
  }
}

static qi_status w4_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const w4_state *s = rt->state;
  const uint8_t *x = qi_node_in(g, n, SL_X)->data;
  uint8_t *y = qi_node_out(g, n, 0)->data;
  const w4_shape *sh = &s->sh;
  if (s->dw || s->dw_direct) {
    w4_dw_task t = {s, x, y};
    qi_parallel_for(ctx->pool, s->batch * sh->m, 1, s->dw ? dw_planes : dw_direct_planes, &t);
    return QINFER_OK;
  }
  qi_qgemm_job job = {.cfg = &s->layout, .m = sh->m_g, .k = sh->k, .scratch = rt->scratch, .tile = s->tile,
                      .qb4w = s->cfg->ukernel, .qb4w_params = s->params};
  if (s->kind == W4_MATMUL) {
    const w4_pack_ctx pc = {s, x};
    job.n = s->rows, job.packed_w = s->packed, job.pack = pack_rows, job.pack_ctx = &pc;
    job.c = y, job.c_row_stride = 1, job.c_col_stride = sh->m;
    qi_qgemm_tiled_run(&job, ctx->pool);
    return QINFER_OK;
  }
  for (size_t image = 0; image < s->batch; image++)
    for (size_t grp = 0; grp < sh->groups; grp++) {
      const w4_pack_ctx pc = {s, x + (image * s->in_c + grp * s->in_c_g) * s->in_hw};
      job.n = s->out_hw, job.packed_w = (const uint8_t *)s->packed + grp * s->group_bytes;
      job.pack = pack_planes, job.pack_ctx = &pc;
      job.c = y + (image * sh->m + grp * sh->m_g) * s->out_hw, job.c_row_stride = s->out_hw, job.c_col_stride = 1;
      qi_qgemm_tiled_run(&job, ctx->pool);
    }
  return QINFER_OK;
}

qi_status qi_qlinearconv_w4_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return w4_run(g, n, rt, ctx, err);
}
qi_status qi_qlinearmatmul_w4_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                  qi_error *err) {
  return w4_run(g, n, rt, ctx, err);
}
