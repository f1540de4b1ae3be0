/* ConvQB4W (domain ai.qinfer, made by engine/pass_qdq_w4.c): a Conv (group 1, NCHW) with float activations whose
 * weight is the DequantizeLinear of a constant int4 / uint4 tensor, on the W4A32 "w" kernels with the weight kept
 * 4-bit: Y[M, pixels] = W[M, K] * col[K, pixels] + B per image, K = C * taps in the im2col's row order
 * k = (c * kh + y) * kw + x (kernels/f32-im2col/f32-im2col.h).
 *   inputs   X, Wq (int4 / uint4 [M, C, k...], or flat [M, C * taps] with kernel_shape: then blocks of block_size
 *            consecutive k along axis 1, parameters [M, ceil(K / block_size)]), scale (float), zero point
 *            (optional, Wq's type), B (optional float [M])
 *   attrs    Conv's, and axis / block_size (the DequantizeLinear's)
 * Weight parameters: per tensor, per output channel (axis 0), or blocks of block_size input channels (axis 1,
 * parameters [M, ceil(C / block_size), k...]) that are the same at every tap of the kernel: a block of bl_c
 * channels is then the contiguous k range of bl = bl_c * taps rows, which must be a multiple of 16 unless one
 * block covers all of C. Other layouts, and groups, stay on the float Conv (the pass leaves them).
 * The column matrix is built one tile of pixels at a time into scratch (rows of the tile's width); a 1x1 window with
 * stride 1 and no padding reads X in place. A fused Relu / Clip is the kernels' clamp, a LeakyRelu runs on Y after. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"
#include "kernels/f32-im2col/f32-im2col.h"

#define QB4W_CONV_TILE_FLOATS 65536

typedef struct conv4_geom {
  qi_nn_window_attrs win;
  int64_t out_sp[QI_NN_MAX_SPATIAL];
  qi_qb4w_source src;
  size_t taps;
} conv4_geom;

static const qi_tensor *const_in(qi_graph *g, const qi_node *n, int i) {
  const qi_tensor *t = qi_node_in(g, n, i);
  return t && (t->flags & QI_TF_CONST) && t->data ? t : NULL;
}

/* Whether the parameters of every (channel, block) are the same at each of the taps. */
static bool same_over_taps(const qi_tensor *t, size_t taps) {
  const int64_t count = qi_tensor_numel(t);
  for (int64_t i = 0; i < count; i++) {
    const int64_t first = i - i % (int64_t)taps;
    const bool same = t->dtype == QINFER_DTYPE_FLOAT ? ((const float *)t->data)[i] == ((const float *)t->data)[first]
                                                     : qi_tensor_int_at(t, i) == qi_tensor_int_at(t, first);
    if (!same) return false;
  }
  return true;
}

/* q: the weight as stored; flat: q is [M, K] with blocks of block_size consecutive k (axis 1). */
static qi_status weight_params(const qi_node *n, const qi_tensor *q, bool flat, const qi_tensor *s,
                               const qi_tensor *z, conv4_geom *c, qi_error *err) {
  qi_qb4w_source *src = &c->src;
  const size_t M = (size_t)q->dims[0], C = flat ? (size_t)q->dims[1] / c->taps : (size_t)q->dims[1], K = C * c->taps;
  *src = (qi_qb4w_source){.m = M, .k = K, .w = q->data, .w_m_stride = K, .w_k_stride = 1,
                          .w_signed = q->dtype == QINFER_DTYPE_INT4, .scale = s->data,
                          .zero_point = z ? z->data : NULL};
  const int64_t axis = qi_attr_int(n, "axis", 1), block = qi_attr_int(n, "block_size", 0);
  const int64_t count = qi_tensor_numel(s);
  const int64_t along = flat ? (int64_t)K : (int64_t)C; /* what the blocks divide */
  bool blocked_ok = block > 0 && (axis == 1 || axis == 1 - q->rank) && s->rank == q->rank &&
                    s->dims[0] == (int64_t)M && s->dims[1] == (along + block - 1) / block;
  for (int d = 2; blocked_ok && d < q->rank; d++) blocked_ok = s->dims[d] == q->dims[d];
  if (block == 0 && count == 1) {
    src->block = K;
  } else if (flat && blocked_ok) { /* [M, ceil(K / block)]: a block is block consecutive k */
    const size_t nb = (size_t)s->dims[1];
    src->block = nb == 1 ? K : (size_t)block;
    src->scale_m_stride = nb, src->scale_b_stride = 1;
  } else if (block == 0 && s->rank == 1 && (axis == 0 || axis == -q->rank) && count == (int64_t)M) {
    src->block = K, src->scale_m_stride = 1;
  } else if (blocked_ok && same_over_taps(s, c->taps) && (!z || same_over_taps(z, c->taps))) {
    const size_t nb = (size_t)s->dims[1];
    src->block = nb == 1 ? K : (size_t)block * c->taps;
    src->scale_m_stride = nb * c->taps, src->scale_b_stride = c->taps; /* the first tap of each block */
  } else {
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "weight parameters (axis %lld, block_size %lld, %lld scales): per tensor, per output channel "
                        "or blocks of input channels the same at every tap expected", (long long)axis,
                        (long long)block, (long long)count);
  }
  src->zp_m_stride = src->scale_m_stride, src->zp_b_stride = src->scale_b_stride;
  if (z && (z->rank != s->rank || memcmp(z->dims, s->dims, sizeof(int64_t) * (size_t)s->rank) != 0))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' and scale '%s' have different shapes",
                        z->name, s->name);
  if (src->block < K && src->block % 16 != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "block of %zu im2col rows (block_size %lld%s): the W4A32 kernels take multiples of 16",
                        src->block, (long long)block, flat ? " of flat k" : " x the taps");
  return QINFER_OK;
}

static qi_status conv4_geom_of(qi_graph *g, const qi_node *n, conv4_geom *c, qi_error *err) {
  if (n->n_inputs < 3 || !qi_node_in(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected inputs X, Wq, scale[, zero_point, B]");
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, 2 + QI_NN_MAX_SPATIAL, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *q = const_in(g, n, 1), *s = const_in(g, n, 2);
  const qi_tensor *z = qi_node_in(g, n, 3), *b = qi_node_in(g, n, 4);
  if (!q || !s || (q->rank != x->rank && q->rank != 2) || !qi_dtype_is_4bit(q->dtype) ||
      s->dtype != QINFER_DTYPE_FLOAT || (z && (!const_in(g, n, 3) || z->dtype != q->dtype)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "the weight must be a constant int4 / uint4 tensor of X's rank (or flat [M, K]) with constant "
                        "float scales and zero points of its type");
  qi_tensor view;
  bool flat;
  QI_CHECK(qi_nn_conv_weight_view(n, x, q, &view, &flat, err));
  int64_t group;
  QI_CHECK(qi_nn_conv_group(n, x, &view, &group, err));
  if (group != 1) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "group %lld: only group 1 runs on int4", (long long)group);
  if (b && (!const_in(g, n, 4) || b->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(b) != q->dims[0]))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "bias must be a constant float [M]");
  const int spatial = x->rank - 2;
  QI_CHECK(qi_nn_read_window_attrs(n, spatial, view.dims + 2, true, &c->win, err));
  QI_CHECK(qi_nn_window_output(n, &c->win, x->dims + 2, false, c->out_sp, err));
  c->taps = 1;
  for (int d = 2; d < view.rank; d++) c->taps *= (size_t)view.dims[d];
  return weight_params(n, q, flat, s, z, c, err);
}

qi_status qi_nn_conv_qb4w_infer(qi_graph *g, qi_node *n, qi_error *err) {
  conv4_geom c;
  QI_CHECK(conv4_geom_of(g, n, &c, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK] = {x->dims[0], (int64_t)c.src.m};
  memcpy(dims + 2, c.out_sp, sizeof(int64_t) * (size_t)(x->rank - 2));
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, x->rank, dims);
  return QINFER_OK;
}

typedef struct conv4_state {
  const qi_f32_gemm_qb4w_config *cfg;
  const qi_f32_im2col_config *im2col;
  qi_window2d geom;
  qi_windownd geomnd;
  bool nd, unit;
  size_t batch, in_c, m, k, in_hw, out_hw, tile, bl, panel_stride;
  const void *packed;
} conv4_state;

qi_status qi_nn_conv_qb4w_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  conv4_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  conv4_geom c;
  QI_CHECK(conv4_geom_of(g, n, &c, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 4);
  s->nd = c.win.spatial > 2;
  qi_nn_windownd(&c.win, x->dims + 2, c.out_sp, &s->geomnd);
  if (!s->nd) qi_nn_window2d(&c.win, x->dims + 2, c.out_sp, &s->geom);
  s->batch = (size_t)x->dims[0], s->in_c = (size_t)x->dims[1], s->m = c.src.m, s->k = c.src.k;
  s->in_hw = qi_windownd_in_size(&s->geomnd);
  s->out_hw = qi_windownd_out_size(&s->geomnd);
  s->unit = c.taps == 1;
  for (size_t i = 0; i < s->geomnd.dims; i++)
    s->unit = s->unit && s->geomnd.stride[i] == 1 && s->geomnd.pad_begin[i] == 0 && s->geomnd.pad_end[i] == 0;
  s->cfg = qi_f32_gemm_qb4w_config_get(rt->isa);
  s->im2col = qi_f32_im2col_config_get(rt->isa);
  s->bl = c.src.block >= c.src.k ? qi_f32_gemm_qb4w_channel_block(c.src.k) : c.src.block;
  s->panel_stride = qi_f32_gemm_qb4w_w_panel_stride(s->cfg, s->k, s->bl);
  bool fresh;
  void *packed = qi_rt_packed(rt, 0, qi_f32_gemm_qb4w_packed_w_size(s->cfg, s->m, s->k, s->bl), &fresh);
  if (!packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing 4-bit weights");
  if (fresh) qi_f32_gemm_qb4w_pack_w(s->cfg, &c.src, s->bl, b ? b->data : NULL, packed);
  s->packed = packed;
  rt->const_inputs_packed = true;
  rt->kernel = s->cfg->name;
  s->tile = s->out_hw;
  if (!s->nd) { /* about 64K floats of columns at a time */
    const size_t tile = QB4W_CONV_TILE_FLOATS / s->k;
    if (tile < s->out_hw) s->tile = tile < 64 ? 64 : tile;
    if (s->tile > s->out_hw) s->tile = s->out_hw;
  }
  rt->scratch_bytes = s->unit ? 0 : s->k * s->tile * sizeof(float);
  return QINFER_OK;
}

typedef struct im2col4_task {
  const conv4_state *s;
  const float *x;
  float *col;
  size_t p0, p1;
} im2col4_task;

static void im2col4_rows(void *arg, size_t begin, size_t end) {
  const im2col4_task *t = arg;
  const conv4_state *s = t->s;
  if (s->nd) s->im2col->im2col_nd(&s->geomnd, begin, end, t->x, t->col);
  else s->im2col->im2col_tile(&s->geom, begin, end, t->p0, t->p1, t->p1 - t->p0, s->k, t->x, t->col);
}

typedef struct gemm4_task {
  const conv4_state *s;
  const float *b; /* k rows of `cols` floats, b_stride apart */
  size_t b_stride, cols, col_chunk, chunks;
  float *c; /* m rows, c_stride apart */
  size_t c_stride;
  qi_f32_qb4w_params params;
} gemm4_task;

/* Item i: (panel of mr rows, chunk of columns). */
static void gemm4_tiles(void *arg, size_t begin, size_t end) {
  const gemm4_task *t = arg;
  const conv4_state *s = t->s;
  const size_t mr = s->cfg->mr;
  for (size_t i = begin; i < end; i++) {
    const size_t panel = i / t->chunks, col0 = i % t->chunks * t->col_chunk;
    const size_t rows = s->m - panel * mr < mr ? s->m - panel * mr : mr;
    const size_t cols = t->cols - col0 < t->col_chunk ? t->cols - col0 : t->col_chunk;
    s->cfg->ukernel(rows, cols, s->k, (const uint8_t *)s->packed + panel * s->panel_stride, t->b + col0, t->b_stride,
                    t->c + panel * mr * t->c_stride + col0, t->c_stride, &t->params);
  }
}

qi_status qi_nn_conv_qb4w_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const conv4_state *s = rt->state;
  const float *x = qi_node_in(g, n, 0)->data;
  float *y = qi_node_out(g, n, 0)->data;
  gemm4_task t = {.s = s, .params = {qi_nn_minmax(&rt->act), s->bl}, .c_stride = s->out_hw};
  const size_t panels = qi_div_round_up(s->m, s->cfg->mr), threads = (size_t)qi_threadpool_size(ctx->pool);
  for (size_t image = 0; image < s->batch; image++) {
    const float *x_image = x + image * s->in_c * s->in_hw;
    float *y_image = y + image * s->m * s->out_hw;
    for (size_t p0 = 0; p0 < s->out_hw; p0 += s->tile) {
      const size_t p1 = s->out_hw - p0 < s->tile ? s->out_hw : p0 + s->tile;
      if (s->unit) {
        t.b = x_image + p0, t.b_stride = s->in_hw;
      } else {
        im2col4_task it = {s, x_image, rt->scratch, p0, p1};
        qi_parallel_for(ctx->pool, s->k, 4, im2col4_rows, &it);
        t.b = rt->scratch, t.b_stride = p1 - p0;
      }
      t.cols = p1 - p0;
      /* A call dequantizes its panel once per K-chunk for all the columns it gets: give it the whole pixel tile,
       * split only as far as the threads need work (about 2 items each). */
      const size_t want = 2 * threads, split = panels >= want ? 1 : qi_div_round_up(want, panels);
      t.col_chunk = qi_round_up(qi_div_round_up(t.cols, split), s->cfg->nr);
      t.chunks = qi_div_round_up(t.cols, t.col_chunk);
      t.c = y_image + p0;
      qi_parallel_for(ctx->pool, panels * t.chunks, 1, gemm4_tiles, &t);
    }
  }
  if (rt->act.kind == QI_ACT_LEAKY) qi_apply_act_f32(&rt->act, y, s->batch * s->m * s->out_hw);
  return QINFER_OK;
}
