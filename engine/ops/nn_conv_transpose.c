/* ConvTranspose (opsets 1..22), NCHW, any spatial rank up to QI_NN_MAX_SPATIAL, as gemm + col2im (the 2-D
 * col2im for 1-D and 2-D, the N-d one above).
 *
 * Per image and group g (W is [C_in, C_out/g, kh, kw]):
 *   col[C_out/g * kh * kw, H_in * W_in] = W_g^T * X_g[C_in/g, H_in * W_in]
 * then every column of col is scattered (added) into the output window it belongs to, on top of the bias.
 * W_g^T is packed once in prepare (into scratch each run when W is not constant).
 *
 * Output size and padding: explicit pads give out = stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads.
 * auto_pad SAME_* gives out = in*stride with the padding split as ONNX specifies (the odd unit at the end for
 * SAME_UPPER). An explicit output_shape derives the padding from it the way ONNX Runtime does (the odd unit at
 * the start for SAME_UPPER, at the end otherwise; negative totals clamp to 0 and extend the output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "kernels/f32-im2col/f32-im2col.h"

typedef struct convt_state {
  const qi_f32_gemm_config *gemm;
  const qi_f32_im2col_config *col2im;
  qi_window2d geom;   /* in_*: the output grid, out_*: the input grid (the forward conv's view); 1-D, 2-D */
  qi_windownd geomnd; /* the same for every rank */
  bool nd;
  size_t batch, in_c, out_c, groups, in_c_g, out_c_g, m_g, in_hw, out_hw;
  size_t group_floats;
  float *packed;     /* constant weights: every group's W_g^T, then a copy of the constant bias (out_c floats) */
  const float *bias; /* that copy; NULL: input 2 is read at run time (or there is no bias) */
} convt_state;

static qi_status read_convt(qi_graph *g, const qi_node *n, qi_nn_window_attrs *win, int64_t *group,
                            int64_t *out_sp, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, 2 + QI_NN_MAX_SPATIAL, err));
  QI_CHECK(qi_nn_check_float_input(g, n, 1, 3, 2 + QI_NN_MAX_SPATIAL, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1), *b = qi_node_in(g, n, 2);
  if (w->rank != x->rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "weights have rank %d but the input has rank %d", w->rank, x->rank);
  *group = qi_attr_int(n, "group", 1);
  if (*group < 1 || *group > x->dims[1] || x->dims[1] % *group != 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "group %lld does not divide %lld input channels",
                        (long long)*group, (long long)x->dims[1]);
  if (w->dims[0] != x->dims[1])
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "weights are for %lld input channels, the input has %lld",
                        (long long)w->dims[0], (long long)x->dims[1]);
  if (w->dims[1] < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "weights have no output channels");
  const int64_t out_c = w->dims[1] * *group;
  if (b) {
    QI_CHECK(qi_nn_check_float_input(g, n, 2, 1, 1, err));
    if (b->dims[0] != out_c)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias has %lld values for %lld output channels",
                          (long long)b->dims[0], (long long)out_c);
  }
  const int spatial = x->rank - 2;
  QI_CHECK(qi_nn_read_window_attrs(n, spatial, w->dims + 2, true, win, err));
  int64_t out_pad[QI_NN_MAX_SPATIAL] = {0};
  const int64_t *vals;
  int cnt = qi_attr_ints(n, "output_padding", &vals);
  if (cnt >= 0) {
    if (cnt != spatial)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output_padding has %d values, expected %d", cnt, spatial);
    for (int i = 0; i < spatial; i++) {
      out_pad[i] = vals[i];
      if (vals[i] < 0 || (vals[i] >= win->stride[i] && vals[i] >= win->dilation[i]))
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output_padding[%d] = %lld must be below the stride", i,
                            (long long)vals[i]);
    }
  }
  const int64_t *shape_attr;
  const int n_shape = qi_attr_ints(n, "output_shape", &shape_attr);
  if (n_shape >= 0 && n_shape != spatial && n_shape != spatial + 2)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output_shape has %d values, expected %d", n_shape, spatial);
  for (int i = 0; i < spatial; i++) {
    const int64_t in = x->dims[2 + i], s = win->stride[i];
    const int64_t dk = (win->kernel[i] - 1) * win->dilation[i] + 1;
    const int64_t full = s * (in - 1) + out_pad[i] + dk; /* output size without padding */
    if (in < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "spatial dimension %d is empty", i);
    if (n_shape >= 0 || win->auto_pad == QI_AUTO_PAD_SAME_UPPER || win->auto_pad == QI_AUTO_PAD_SAME_LOWER) {
      const bool explicit_shape = n_shape >= 0;
      out_sp[i] = explicit_shape ? shape_attr[n_shape == spatial ? i : i + 2] : in * s;
      if (out_sp[i] < 1 || out_sp[i] > ((int64_t)1 << 40))
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "output_shape[%d] = %lld is out of range", i, (long long)out_sp[i]);
      int64_t total = full - out_sp[i];
      if (total < 0) total = 0;
      const int64_t small = total / 2, large = total - small;
      bool extra_at_start; /* where the odd unit of padding goes */
      if (explicit_shape) extra_at_start = win->auto_pad == QI_AUTO_PAD_SAME_UPPER; /* as ONNX Runtime */
      else extra_at_start = win->auto_pad == QI_AUTO_PAD_SAME_LOWER;                /* as the ONNX spec */
      win->pad_begin[i] = extra_at_start ? large : small;
      win->pad_end[i] = total - win->pad_begin[i];
    } else {
      if (win->auto_pad == QI_AUTO_PAD_VALID) win->pad_begin[i] = win->pad_end[i] = 0;
      out_sp[i] = full - win->pad_begin[i] - win->pad_end[i];
      if (out_sp[i] < 1)
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "pads leave an empty output on axis %d", i);
    }
  }
  return QINFER_OK;
}

qi_status qi_nn_conv_transpose_infer(qi_graph *g, qi_node *n, qi_error *err) {
  qi_nn_window_attrs win;
  int64_t group, out_sp[QI_NN_MAX_SPATIAL];
  QI_CHECK(read_convt(g, n, &win, &group, out_sp, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK] = {x->dims[0], w->dims[1] * group};
  for (int i = 0; i < x->rank - 2; i++) dims[2 + i] = out_sp[i];
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, x->rank, dims);
  return QINFER_OK;
}

static void convt_pack(const convt_state *s, const float *w, float *dst) {
  for (size_t grp = 0; grp < s->groups; grp++) /* W_g^T: element (m, ci) at w[ci * m_g + m] */
    s->gemm->pack(s->m_g, s->in_c_g, s->gemm->mr, s->gemm->kr, w + grp * s->in_c_g * s->m_g, 1, s->m_g, NULL,
                  dst + grp * s->group_floats);
}

void qi_nn_conv_transpose_release(qi_node_rt *rt) {
  free(rt->state); /* packed weights belong to rt (qi_rt_packed) */
  rt->state = NULL;
}

qi_status qi_nn_conv_transpose_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qi_nn_window_attrs win;
  int64_t group, out_sp[QI_NN_MAX_SPATIAL];
  QI_CHECK(read_convt(g, n, &win, &group, out_sp, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 1), *b = qi_node_in(g, n, 2);
  convt_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  /* the output is the forward conv's input */
  s->nd = win.spatial > 2;
  qi_nn_windownd(&win, out_sp, x->dims + 2, &s->geomnd);
  if (!s->nd) qi_nn_window2d(&win, out_sp, x->dims + 2, &s->geom);
  s->gemm = qi_f32_gemm_config_get(rt->isa);
  s->col2im = qi_f32_im2col_config_get(rt->isa);
  s->batch = (size_t)x->dims[0];
  s->in_c = (size_t)x->dims[1];
  s->groups = (size_t)group;
  s->in_c_g = s->in_c / s->groups;
  s->out_c_g = (size_t)w->dims[1];
  s->out_c = s->out_c_g * s->groups;
  s->m_g = s->out_c_g * qi_windownd_taps(&s->geomnd);
  s->in_hw = qi_windownd_out_size(&s->geomnd);
  s->out_hw = qi_windownd_in_size(&s->geomnd);
  s->group_floats = qi_f32_gemm_packed_floats(s->m_g, s->in_c_g, s->gemm->mr, s->gemm->kr);
  size_t scratch_floats = s->m_g * s->in_hw;
  const size_t weight_floats = s->groups * s->group_floats;
  if ((w->flags & QI_TF_CONST) && (!b || (b->flags & QI_TF_CONST))) {
    /* the session then keeps no reference to the model's weights (docs/loader.md, in-place weights) */
    bool fresh;
    s->packed = qi_rt_packed(rt, 0, (weight_floats + (b ? s->out_c : 0)) * sizeof(float), &fresh);
    if (!s->packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
    if (fresh) convt_pack(s, w->data, s->packed);
    if (b) {
      s->bias = s->packed + weight_floats;
      if (fresh) memcpy(s->packed + weight_floats, b->data, s->out_c * sizeof(float));
    }
    rt->const_inputs_packed = true;
  } else {
    scratch_floats += weight_floats;
  }
  rt->scratch_bytes = scratch_floats * sizeof(float);
  return QINFER_OK;
}

typedef struct col2im_task {
  const convt_state *s;
  const float *col, *bias;
  float *y_group; /* first output plane of the group */
  size_t first_channel;
} col2im_task;

static void col2im_channels(void *arg, size_t begin, size_t end) {
  const col2im_task *t = arg;
  for (size_t c = begin; c < end; c++) {
    float *plane = t->y_group + c * t->s->out_hw;
    const float b = t->bias ? t->bias[t->first_channel + c] : 0.0f;
    for (size_t i = 0; i < t->s->out_hw; i++) plane[i] = b;
  }
  if (t->s->nd) t->s->col2im->col2im_nd(&t->s->geomnd, begin, end, t->col, t->y_group);
  else t->s->col2im->col2im(&t->s->geom, begin, end, t->col, t->y_group);
}

qi_status qi_nn_conv_transpose_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const convt_state *s = rt->state;
  const qi_tensor *bt = qi_node_in(g, n, 2);
  const float *x = qi_node_in(g, n, 0)->data, *bias = s->bias ? s->bias : bt ? bt->data : NULL;
  float *y = qi_node_out(g, n, 0)->data, *col = rt->scratch;
  const float *packed = s->packed;
  if (!packed) {
    float *dst = col + s->m_g * s->in_hw;
    convt_pack(s, qi_node_in(g, n, 1)->data, dst);
    packed = dst;
  }
  for (size_t image = 0; image < s->batch; image++) {
    for (size_t grp = 0; grp < s->groups; grp++) {
      const qi_nn_gemm_args args = {
          .cfg = s->gemm,
          .batch = 1,
          .m = s->m_g,
          .n = s->in_hw,
          .k = s->in_c_g,
          .packed_w = packed + grp * s->group_floats,
          .b = x + (image * s->in_c + grp * s->in_c_g) * s->in_hw,
          .b_stride = s->in_hw,
          .c = col,
          .c_stride = s->in_hw,
          .params = {-INFINITY, INFINITY},
      };
      qi_nn_gemm(&args, ctx->pool);
      col2im_task t = {s, col, bias, y + (image * s->out_c + grp * s->out_c_g) * s->out_hw, grp * s->out_c_g};
      qi_parallel_for(ctx->pool, s->out_c_g, 1, col2im_channels, &t);
    }
  }
  return QINFER_OK;
}

