/* Conv (opsets 1..22), NCHW, any spatial rank up to QI_NN_MAX_SPATIAL (1-D and 2-D on the 2-D kernels).
 *
 * Three paths, chosen in prepare:
 *   - depthwise (group == C_in > 1, 1-D and 2-D): a direct per-plane kernel (kernels/f32-dwconv), any channel multiplier;
 *   - pointwise (1x1 kernel, stride 1, no padding, fewer than QI_CONV_POINTWISE_COPY_M outputs per group or
 *     3-D and up): the gemm reads the input planes in place, per image and group:
 *     Y_g[C_out/g, H*W] = W_g[C_out/g, C_in/g] * X_g[C_in/g, H*W];
 *   - everything else: im2col of each image and group into scratch, then the same gemm with K = C_in/g*kh*kw;
 *     in 2-D one column tile of about 64K floats at a time (im2col, then the gemm on it), so the column matrix
 *     of an early layer stays in cache instead of going through memory whole, written in blocks of the gemm's
 *     NR columns (K rows of NR floats each), so the ukernel reads one cache line per row of a block instead
 *     of a strided line across the tile's rows (ResNet's 14x14 3x3 convs: 53 -> 91 GFLOP/s on one Zen 3 core).
 * Weights (with the bias folded in) are packed once into the gemm's panel layout when they are constant, or
 * into scratch at every run when they are not. Fused Clip/Relu is the ukernel's min/max clamp; a fused
 * LeakyRelu runs on each finished tile. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-im2col/f32-im2col.h"

/* Target size of one im2col column tile (floats): about the L2 share of one core. */
#ifndef QI_CONV_TILE_FLOATS
#define QI_CONV_TILE_FLOATS 65536
#endif

/* A 1x1 conv with at least this many output channels per group copies its input into NR-column blocks (the
 * im2col path with a 1x1 window: plain copies) rather than reading it in place: B's rows become one cache line
 * per k, worth the copy once M amortises it (ResNet-50's 1x1 convs at 14x14, 256x196x1024: 64 -> 91 GFLOP/s on
 * one Zen 3 core); narrower ones (MobileNetV2's projections) read the planes in place. */
#ifndef QI_CONV_POINTWISE_COPY_M
#define QI_CONV_POINTWISE_COPY_M 64
#endif

typedef enum { CONV_DEPTHWISE, CONV_POINTWISE, CONV_IM2COL } conv_path;

typedef struct conv_state {
  conv_path path;
  const qi_f32_gemm_config *gemm;
  const qi_f32_im2col_config *im2col;
  qi_f32_dwconv_minmax_ukernel_fn dw_ukernel;
  qi_window2d geom;     /* 1-D and 2-D */
  qi_windownd geomnd;   /* every rank; the im2col path uses it above 2-D */
  bool nd;
  size_t batch, in_c, out_c, groups, in_c_g, out_c_g, k_g, in_hw, out_hw, taps;
  size_t group_floats;   /* packed floats per group (gemm paths) */
  size_t tile;           /* im2col path: output pixels per column tile (out_hw: untiled) */
  float *packed;         /* rt->packed[0], constant weights: gemm panels, or for depthwise out_c*taps weights + out_c biases */
} conv_state;

typedef struct conv_attrs {
  qi_nn_window_attrs win;
  int64_t group;
} conv_attrs;

static qi_status read_conv(qi_graph *g, const qi_node *n, conv_attrs *a, int64_t *out_spatial, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, 2 + QI_NN_MAX_SPATIAL, err));
  QI_CHECK(qi_nn_check_float_input(g, n, 1, 3, 2 + QI_NN_MAX_SPATIAL, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1), *b = qi_node_in(g, n, 2);
  QI_CHECK(qi_nn_conv_group(n, x, w, &a->group, err));
  if (b) {
    QI_CHECK(qi_nn_check_float_input(g, n, 2, 1, 1, err));
    if (b->dims[0] != w->dims[0])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias has %lld values for %lld output channels",
                          (long long)b->dims[0], (long long)w->dims[0]);
  }
  const int spatial = x->rank - 2;
  QI_CHECK(qi_nn_read_window_attrs(n, spatial, w->dims + 2, true, &a->win, err));
  return qi_nn_window_output(n, &a->win, x->dims + 2, false, out_spatial, err);
}

qi_status qi_nn_conv_infer(qi_graph *g, qi_node *n, qi_error *err) {
  conv_attrs a;
  int64_t out_sp[QI_NN_MAX_SPATIAL];
  QI_CHECK(read_conv(g, n, &a, out_sp, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK] = {x->dims[0], w->dims[0]};
  for (int i = 0; i < x->rank - 2; i++) dims[2 + i] = out_sp[i];
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, x->rank, dims);
  return QINFER_OK;
}

/* Packs W (+ bias) into dst in the layout of the chosen path. */
static void conv_pack(const conv_state *s, const float *w, const float *bias, float *dst) {
  if (s->path == CONV_DEPTHWISE) {
    memcpy(dst, w, s->out_c * s->taps * sizeof(float));
    for (size_t c = 0; c < s->out_c; c++) dst[s->out_c * s->taps + c] = bias ? bias[c] : 0.0f;
    return;
  }
  for (size_t grp = 0; grp < s->groups; grp++)
    s->gemm->pack(s->out_c_g, s->k_g, s->gemm->mr, s->gemm->kr, w + grp * s->out_c_g * s->k_g, s->k_g, 1,
                  bias ? bias + grp * s->out_c_g : NULL, dst + grp * s->group_floats);
}

/* The im2col path's column tile: K x tile floats, in 2-D in blocks of nr columns (the last one padded). */
static size_t col_floats(const conv_state *s) {
  return s->k_g * (s->nd ? s->tile : qi_round_up(s->tile, s->gemm->nr));
}

static size_t conv_packed_floats(const conv_state *s) {
  return s->path == CONV_DEPTHWISE ? s->out_c * (s->taps + 1) : s->groups * s->group_floats;
}

void qi_nn_conv_release(qi_node_rt *rt) {
  free(rt->state); /* packed weights belong to rt (qi_rt_packed) */
  rt->state = NULL;
}

qi_status qi_nn_conv_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  conv_attrs a;
  int64_t out_sp[QI_NN_MAX_SPATIAL];
  QI_CHECK(read_conv(g, n, &a, out_sp, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1), *b = qi_node_in(g, n, 2);
  conv_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->nd = a.win.spatial > 2;
  qi_nn_windownd(&a.win, x->dims + 2, out_sp, &s->geomnd);
  if (!s->nd) qi_nn_window2d(&a.win, x->dims + 2, out_sp, &s->geom);
  s->batch = (size_t)x->dims[0];
  s->in_c = (size_t)x->dims[1];
  s->out_c = (size_t)w->dims[0];
  s->groups = (size_t)a.group;
  s->in_c_g = s->in_c / s->groups;
  s->out_c_g = s->out_c / s->groups;
  s->taps = qi_windownd_taps(&s->geomnd);
  s->k_g = s->in_c_g * s->taps;
  s->in_hw = qi_windownd_in_size(&s->geomnd);
  s->out_hw = qi_windownd_out_size(&s->geomnd);
  s->gemm = qi_f32_gemm_config_get(rt->isa);
  s->im2col = qi_f32_im2col_config_get(rt->isa);
  const qi_window2d *geo = &s->geom;
  bool unit = s->taps == 1; /* 1x1 window, stride 1, no padding: the gemm reads the input in place */
  for (size_t i = 0; i < s->geomnd.dims; i++)
    unit = unit && s->geomnd.stride[i] == 1 && s->geomnd.pad_begin[i] == 0 && s->geomnd.pad_end[i] == 0;
  if (s->groups == s->in_c && s->groups > 1 && !s->nd) {
    s->path = CONV_DEPTHWISE;
    const qi_f32_dwconv_config *dw = qi_f32_dwconv_config_get(rt->isa);
    const bool square = geo->kernel_h == geo->kernel_w;
    if (square && geo->kernel_h == 3) s->dw_ukernel = dw->ukernel_3x3, rt->kernel = dw->name_3x3;
    else if (square && geo->kernel_h == 5) s->dw_ukernel = dw->ukernel_5x5, rt->kernel = dw->name_5x5;
    else s->dw_ukernel = dw->ukernel_any, rt->kernel = dw->name_any;
  } else if (unit && (s->nd || s->out_c_g < QI_CONV_POINTWISE_COPY_M)) {
    s->path = CONV_POINTWISE;
    rt->kernel = s->gemm->name;
  } else {
    s->path = CONV_IM2COL;
    rt->kernel = s->gemm->name;
  }
  s->group_floats = qi_f32_gemm_packed_floats(s->out_c_g, s->k_g, s->gemm->mr, s->gemm->kr);
  const bool constant = (w->flags & QI_TF_CONST) && (!b || (b->flags & QI_TF_CONST));
  s->tile = s->out_hw;
  if (!s->nd) {
    const size_t tile = qi_round_up(QI_CONV_TILE_FLOATS / s->k_g, s->gemm->nr);
    if (tile < s->out_hw) s->tile = tile < 64 ? 64 : tile;
    if (s->tile > s->out_hw) s->tile = s->out_hw;
  }
  size_t scratch_floats = s->path == CONV_IM2COL ? col_floats(s) : 0;
  if (constant) {
    bool fresh;
    s->packed = qi_rt_packed(rt, 0, conv_packed_floats(s) * sizeof(float), &fresh);
    if (!s->packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
    if (fresh) conv_pack(s, w->data, b ? b->data : NULL, s->packed);
    rt->const_inputs_packed = true;
  } else {
    scratch_floats += conv_packed_floats(s);
  }
  rt->scratch_bytes = scratch_floats * sizeof(float);
  return QINFER_OK;
}

typedef struct dw_task {
  const conv_state *s;
  const qi_act *act;
  const float *x, *weights, *bias;
  float *y;
  qi_f32_minmax_params params;
} dw_task;

static void dw_planes(void *arg, size_t begin, size_t end) {
  const dw_task *t = arg;
  const conv_state *s = t->s;
  const size_t multiplier = s->out_c / s->in_c;
  for (size_t i = begin; i < end; i++) {
    const size_t image = i / s->out_c, oc = i % s->out_c, ic = oc / multiplier;
    float *out = t->y + i * s->out_hw;
    s->dw_ukernel(&s->geom, t->x + (image * s->in_c + ic) * s->in_hw, t->weights + oc * s->taps, t->bias[oc], out,
                  &t->params);
    if (t->act->kind == QI_ACT_LEAKY) qi_apply_act_f32(t->act, out, s->out_hw);
  }
}

typedef struct im2col_task {
  const conv_state *s;
  const float *x;
  float *col;
  size_t pix_begin, pix_end;
} im2col_task;

static void im2col_rows(void *arg, size_t begin, size_t end) {
  const im2col_task *t = arg;
  const conv_state *s = t->s;
  if (s->nd) s->im2col->im2col_nd(&s->geomnd, begin, end, t->x, t->col);
  else s->im2col->im2col_tile(&s->geom, begin, end, t->pix_begin, t->pix_end, s->gemm->nr, s->k_g, t->x, t->col);
}

qi_status qi_nn_conv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const conv_state *s = rt->state;
  const qi_tensor *xt = qi_node_in(g, n, 0), *wt = qi_node_in(g, n, 1), *bt = qi_node_in(g, n, 2);
  const float *x = xt->data;
  float *y = qi_node_out(g, n, 0)->data;
  float *scratch = rt->scratch;
  const float *packed = s->packed;
  if (!packed) { /* weights computed at run time: pack them at the end of scratch */
    float *dst = scratch + (s->path == CONV_IM2COL ? col_floats(s) : 0);
    conv_pack(s, wt->data, bt ? bt->data : NULL, dst);
    packed = dst;
  }
  const qi_f32_minmax_params params = qi_nn_minmax(&rt->act);
  if (s->path == CONV_DEPTHWISE) {
    dw_task t = {s, &rt->act, x, packed, packed + s->out_c * s->taps, y, params};
    qi_parallel_for(ctx->pool, s->batch * s->out_c, 1, dw_planes, &t);
    return QINFER_OK;
  }
  qi_nn_gemm_args args = {
      .cfg = s->gemm,
      .m = s->out_c_g,
      .n = s->out_hw,
      .k = s->k_g,
      .packed_w = packed,
      .packed_w_batch_stride = s->group_floats,
      .c_stride = s->out_hw,
      .c_batch_stride = s->out_c_g * s->out_hw,
      .params = params,
      .epilogue = rt->act.kind == QI_ACT_LEAKY ? qi_nn_act_epilogue : NULL,
      .epilogue_ctx = (void *)&rt->act,
  };
  for (size_t image = 0; image < s->batch; image++) {
    const float *x_image = x + image * s->in_c * s->in_hw;
    args.c = y + image * s->out_c * s->out_hw;
    if (s->path == CONV_POINTWISE) {
      args.batch = s->groups; /* one problem per group */
      args.b = x_image;
      args.b_stride = s->in_hw;
      args.b_batch_stride = s->in_c_g * s->in_hw;
      qi_nn_gemm(&args, ctx->pool);
      continue;
    }
    for (size_t grp = 0; grp < s->groups; grp++) {
      for (size_t p0 = 0; p0 < s->out_hw; p0 += s->tile) {
        const size_t p1 = s->out_hw - p0 < s->tile ? s->out_hw : p0 + s->tile;
        im2col_task t = {s, x_image + grp * s->in_c_g * s->in_hw, scratch, p0, p1};
        qi_parallel_for(ctx->pool, s->k_g, 4, im2col_rows, &t);
        qi_nn_gemm_args one = args;
        one.batch = 1;
        one.n = p1 - p0;
        one.packed_w = packed + grp * s->group_floats;
        one.b = scratch;
        one.b_stride = p1 - p0;
        one.b_blocked = !s->nd;
        one.c = args.c + grp * s->out_c_g * s->out_hw + p0;
        qi_nn_gemm(&one, ctx->pool);
      }
    }
  }
  return QINFER_OK;
}

