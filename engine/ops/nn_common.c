#include "engine/ops/nn_common.h"

#include <math.h>
#include <string.h>

qi_status qi_nn_check_float_input(qi_graph *g, const qi_node *n, int i, int min_rank, int max_rank, qi_error *err) {
  const qi_tensor *t = qi_node_in(g, n, i);
  if (!t) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
  if (t->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input %d ('%s') has type %s; only float is supported", i,
                        t->name, qi_dtype_name(t->dtype));
  if (t->rank < min_rank || t->rank > max_rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input %d ('%s') has rank %d, expected %d..%d", i, t->name, t->rank,
                        min_rank, max_rank);
  return QINFER_OK;
}

qi_status qi_nn_conv_group(const qi_node *n, const qi_tensor *x, const qi_tensor *w, int64_t *group, qi_error *err) {
  if (w->rank != x->rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "weights have rank %d but the input has rank %d", w->rank, x->rank);
  *group = qi_attr_int(n, "group", 1);
  if (*group < 1 || *group > x->dims[1])
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "group %lld is out of range", (long long)*group);
  if (x->dims[1] != w->dims[1] * *group)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input has %lld channels but weights expect %lld x group %lld",
                        (long long)x->dims[1], (long long)w->dims[1], (long long)*group);
  if (w->dims[0] < 1 || w->dims[0] % *group != 0)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "%lld output channels are not a multiple of group %lld",
                        (long long)w->dims[0], (long long)*group);
  return QINFER_OK;
}

qi_status qi_nn_conv_weight_view(const qi_node *n, const qi_tensor *x, const qi_tensor *w, qi_tensor *view,
                                 bool *flat, qi_error *err) {
  *view = *w;
  *flat = w->rank == 2 && x->rank > 2;
  if (!*flat) return QINFER_OK;
  const int64_t *ks;
  const int spatial = x->rank - 2;
  if (qi_attr_ints(n, "kernel_shape", &ks) != spatial)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "flat [M, K] weights need kernel_shape with %d values",
                        spatial);
  int64_t taps = 1;
  for (int i = 0; i < spatial; i++) {
    if (ks[i] < 1 || ks[i] > INT32_MAX)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "kernel size %lld out of range", (long long)ks[i]);
    taps *= ks[i];
    view->dims[2 + i] = ks[i];
  }
  if (w->dims[1] < 1 || w->dims[1] % taps != 0)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "flat weights of %lld columns are no multiple of %lld kernel taps",
                        (long long)w->dims[1], (long long)taps);
  view->rank = x->rank;
  view->dims[1] = w->dims[1] / taps;
  return QINFER_OK;
}

/* Reads an INTS attribute of exactly `count` values (each >= min_value) into out, or fills it with dflt. */
static qi_status read_ints(const qi_node *n, const char *name, int count, int64_t dflt, int64_t min_value,
                           int64_t *out, qi_error *err) {
  const int64_t *vals;
  const int got = qi_attr_ints(n, name, &vals);
  if (got < 0) {
    for (int i = 0; i < count; i++) out[i] = dflt;
    return QINFER_OK;
  }
  if (got != count)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute %s has %d values, expected %d", name, got, count);
  for (int i = 0; i < count; i++) {
    if (vals[i] < min_value || vals[i] > (int64_t)1 << 31)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute %s[%d] = %lld is out of range", name, i,
                          (long long)vals[i]);
    out[i] = vals[i];
  }
  return QINFER_OK;
}

qi_status qi_nn_read_window_attrs(const qi_node *n, int spatial, const int64_t *weight_kernel, bool allow_dilations,
                                  qi_nn_window_attrs *w, qi_error *err) {
  memset(w, 0, sizeof *w);
  if (spatial < 1 || spatial > QI_NN_MAX_SPATIAL)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%d spatial dimensions; 1 to %d are supported", spatial,
                        QI_NN_MAX_SPATIAL);
  w->spatial = spatial;
  const int64_t *ks;
  const int n_ks = qi_attr_ints(n, "kernel_shape", &ks);
  if (weight_kernel) {
    for (int i = 0; i < spatial; i++) w->kernel[i] = weight_kernel[i];
    if (n_ks >= 0) {
      if (n_ks != spatial)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "kernel_shape has %d values, expected %d", n_ks, spatial);
      for (int i = 0; i < spatial; i++)
        if (ks[i] != weight_kernel[i])
          return qi_node_fail(err, QINFER_ERR_SHAPE, n, "kernel_shape[%d] = %lld does not match the weights (%lld)", i,
                              (long long)ks[i], (long long)weight_kernel[i]);
    }
  } else {
    if (n_ks < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute kernel_shape is required");
    QI_CHECK(read_ints(n, "kernel_shape", spatial, 1, 1, w->kernel, err));
  }
  for (int i = 0; i < spatial; i++)
    if (w->kernel[i] < 1)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "kernel size %lld must be positive", (long long)w->kernel[i]);
  QI_CHECK(read_ints(n, "strides", spatial, 1, 1, w->stride, err));
  QI_CHECK(read_ints(n, "dilations", spatial, 1, 1, w->dilation, err));
  if (!allow_dilations)
    for (int i = 0; i < spatial; i++)
      if (w->dilation[i] != 1)
        return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "dilations are not supported for this op / opset");
  int64_t pads[2 * QI_NN_MAX_SPATIAL];
  QI_CHECK(read_ints(n, "pads", 2 * spatial, 0, 0, pads, err));
  for (int i = 0; i < spatial; i++) {
    w->pad_begin[i] = pads[i];
    w->pad_end[i] = pads[spatial + i];
  }
  const char *ap = qi_attr_string(n, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") == 0) w->auto_pad = QI_AUTO_PAD_NOTSET;
  else if (strcmp(ap, "SAME_UPPER") == 0) w->auto_pad = QI_AUTO_PAD_SAME_UPPER;
  else if (strcmp(ap, "SAME_LOWER") == 0) w->auto_pad = QI_AUTO_PAD_SAME_LOWER;
  else if (strcmp(ap, "VALID") == 0) w->auto_pad = QI_AUTO_PAD_VALID;
  else return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
  return QINFER_OK;
}

qi_status qi_nn_window_output(const qi_node *n, qi_nn_window_attrs *w, const int64_t *in, bool ceil_mode,
                              int64_t *out, qi_error *err) {
  for (int i = 0; i < w->spatial; i++) {
    const int64_t dk = (w->kernel[i] - 1) * w->dilation[i] + 1, s = w->stride[i];
    if (in[i] < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "spatial dimension %d is empty", i);
    switch (w->auto_pad) {
      case QI_AUTO_PAD_SAME_UPPER:
      case QI_AUTO_PAD_SAME_LOWER: {
        out[i] = (in[i] + s - 1) / s;
        int64_t total = (out[i] - 1) * s + dk - in[i];
        if (total < 0) total = 0;
        const int64_t small = total / 2, large = total - small;
        w->pad_begin[i] = w->auto_pad == QI_AUTO_PAD_SAME_UPPER ? small : large;
        w->pad_end[i] = w->auto_pad == QI_AUTO_PAD_SAME_UPPER ? large : small;
        continue;
      }
      case QI_AUTO_PAD_VALID: w->pad_begin[i] = w->pad_end[i] = 0; break;
      case QI_AUTO_PAD_NOTSET: break;
    }
    const int64_t padded = in[i] + w->pad_begin[i] + w->pad_end[i];
    if (padded < dk)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n,
                          "window of %lld (kernel %lld, dilation %lld) is larger than the padded input %lld on axis %d",
                          (long long)dk, (long long)w->kernel[i], (long long)w->dilation[i], (long long)padded, i);
    if (ceil_mode) {
      out[i] = (padded - dk + s - 1) / s + 1;
      if ((out[i] - 1) * s >= in[i] + w->pad_begin[i]) out[i]--;
    } else {
      out[i] = (padded - dk) / s + 1;
    }
  }
  return QINFER_OK;
}

void qi_nn_window2d(const qi_nn_window_attrs *w, const int64_t *in, const int64_t *out, qi_window2d *g) {
  assert(w->spatial == 1 || w->spatial == 2);
  const int h = w->spatial == 2 ? 0 : -1, x = w->spatial - 1; /* 1-D: a plane of height 1 */
  g->in_h = h < 0 ? 1 : (size_t)in[h];
  g->out_h = h < 0 ? 1 : (size_t)out[h];
  g->kernel_h = h < 0 ? 1 : (size_t)w->kernel[h];
  g->stride_h = h < 0 ? 1 : (size_t)w->stride[h];
  g->dilation_h = h < 0 ? 1 : (size_t)w->dilation[h];
  g->pad_top = h < 0 ? 0 : (size_t)w->pad_begin[h];
  g->pad_bottom = h < 0 ? 0 : (size_t)w->pad_end[h];
  g->in_w = (size_t)in[x];
  g->out_w = (size_t)out[x];
  g->kernel_w = (size_t)w->kernel[x];
  g->stride_w = (size_t)w->stride[x];
  g->dilation_w = (size_t)w->dilation[x];
  g->pad_left = (size_t)w->pad_begin[x];
  g->pad_right = (size_t)w->pad_end[x];
}

void qi_nn_windownd(const qi_nn_window_attrs *w, const int64_t *in, const int64_t *out, qi_windownd *g) {
  assert(w->spatial >= 1 && w->spatial <= QI_NN_MAX_SPATIAL);
  g->dims = (size_t)w->spatial;
  for (int a = 0; a < w->spatial; a++) {
    g->in[a] = (size_t)in[a];
    g->out[a] = (size_t)out[a];
    g->kernel[a] = (size_t)w->kernel[a];
    g->stride[a] = (size_t)w->stride[a];
    g->dilation[a] = (size_t)w->dilation[a];
    g->pad_begin[a] = (size_t)w->pad_begin[a];
    g->pad_end[a] = (size_t)w->pad_end[a];
  }
}

qi_f32_minmax_params qi_nn_minmax(const qi_act *act) {
  qi_f32_minmax_params p = {-INFINITY, INFINITY};
  if (act->kind == QI_ACT_CLAMP) {
    p.min = act->min;
    p.max = act->max;
  }
  return p;
}

void qi_nn_act_epilogue(void *act, size_t batch, size_t row0, size_t rows, size_t col0, size_t cols, float *c_tile,
                        size_t c_stride) {
  (void)batch, (void)row0, (void)col0;
  for (size_t r = 0; r < rows; r++) qi_apply_act_f32((const qi_act *)act, c_tile + r * c_stride, cols);
}

typedef struct gemm_task {
  const qi_nn_gemm_args *a;
  size_t panels, col_blocks, col_block;
} gemm_task;

static void gemm_tiles(void *arg, size_t begin, size_t end) {
  const gemm_task *t = arg;
  const qi_nn_gemm_args *a = t->a;
  const size_t mr = a->cfg->mr, panel_floats = qi_f32_gemm_panel_floats(a->k, mr, a->cfg->kr);
  for (size_t i = begin; i < end; i++) {
    const size_t problem = i / (t->panels * t->col_blocks), rest = i % (t->panels * t->col_blocks);
    const size_t panel = rest / t->col_blocks, col0 = (rest % t->col_blocks) * t->col_block;
    const size_t row0 = panel * mr, rows = a->m - row0 < mr ? a->m - row0 : mr;
    const size_t cols = a->n - col0 < t->col_block ? a->n - col0 : t->col_block;
    const size_t w_off = a->w_offsets ? a->w_offsets[problem] : problem * a->packed_w_batch_stride;
    const size_t b_off = a->b_offsets ? a->b_offsets[problem] : problem * a->b_batch_stride;
    const size_t c_off = a->c_offsets ? a->c_offsets[problem] : problem * a->c_batch_stride;
    float *c = a->c + c_off + row0 * a->c_stride + col0;
    const float *w = a->packed_w + w_off + panel * panel_floats;
    if (a->b_blocked) { /* one ukernel call per block of nr columns, rows nr floats apart */
      const size_t nr = a->cfg->nr;
      for (size_t j = 0; j < cols; j += nr)
        a->cfg->ukernel(rows, cols - j < nr ? cols - j : nr, a->k, w, a->b + b_off + (col0 + j) * a->k, nr, c + j,
                        a->c_stride, &a->params);
    } else {
      a->cfg->ukernel(rows, cols, a->k, w, a->b + b_off + col0, a->b_stride, c, a->c_stride, &a->params);
    }
    if (a->epilogue) a->epilogue(a->epilogue_ctx, problem, row0, rows, col0, cols, c, a->c_stride);
  }
}

void qi_nn_gemm(const qi_nn_gemm_args *args, qi_threadpool *pool) {
  assert(args->cfg && args->k >= 1);
  if (args->batch == 0 || args->m == 0 || args->n == 0) return;
  gemm_task t = {.a = args, .panels = qi_div_round_up(args->m, args->cfg->mr)};
  /* Column blocks of about 128 floats (a multiple of nr): a block of B rows stays in cache while the panels of
   * W stream past. The pool splits the tasks into one contiguous run per thread, so a problem of few tasks
   * (ResNet's 64-channel convs: 11 panels of 6 rows, one block) gets narrower blocks, down to nr, until there
   * are at least 8 per thread: 11 tasks over 2 threads run as 6 + 5, 22 as 11 + 11. */
  const size_t nr = args->cfg->nr, threads = pool ? (size_t)qi_threadpool_size(pool) : 1;
  t.col_block = qi_round_up(128, nr);
  while (threads > 1 && t.col_block > nr && args->batch * t.panels * qi_div_round_up(args->n, t.col_block) < 8 * threads)
    t.col_block = qi_round_up(t.col_block / 2, nr);
  if (t.col_block > args->n) t.col_block = args->n;
  t.col_blocks = qi_div_round_up(args->n, t.col_block);
  qi_parallel_for(pool, args->batch * t.panels * t.col_blocks, 1, gemm_tiles, &t);
}

typedef struct gemm_xw_task {
  const qi_nn_gemm_xw_args *a;
  size_t row_blocks, col_blocks, col_block;
} gemm_xw_task;

static void gemm_xw_tiles(void *arg, size_t begin, size_t end) {
  const gemm_xw_task *t = arg;
  const qi_nn_gemm_xw_args *a = t->a;
  const size_t mr = a->cfg->xw_mr, panel_floats = qi_f32_gemm_panel_floats(a->k, a->cfg->xw_nr, a->cfg->xw_kr);
  for (size_t i = begin; i < end; i++) {
    const size_t problem = i / (t->col_blocks * t->row_blocks), rest = i % (t->col_blocks * t->row_blocks);
    const size_t col0 = rest / t->row_blocks * t->col_block, row0 = rest % t->row_blocks * mr;
    const size_t rows = a->m - row0 < mr ? a->m - row0 : mr;
    const size_t cols = a->n - col0 < t->col_block ? a->n - col0 : t->col_block;
    const size_t a_off = a->a_offsets ? a->a_offsets[problem] : problem * a->m * a->a_stride;
    const size_t w_off = a->w_offsets ? a->w_offsets[problem] : 0;
    float *c = a->c + problem * a->c_batch_stride + row0 * a->c_stride + col0;
    a->cfg->xw_ukernel(rows, cols, a->k, a->a + a_off + row0 * a->a_stride, a->a_stride,
                       a->packed_w + w_off + col0 / a->cfg->xw_nr * panel_floats, c, a->c_stride, &a->params);
    if (a->epilogue) a->epilogue(a->epilogue_ctx, problem, row0, rows, col0, cols, c, a->c_stride);
  }
}

void qi_nn_gemm_xw(const qi_nn_gemm_xw_args *args, qi_threadpool *pool) {
  assert(args->cfg && args->cfg->xw_ukernel && args->k >= 1);
  if (args->batch == 0 || args->m == 0 || args->n == 0) return;
  const size_t nr = args->cfg->xw_nr;
  gemm_xw_task t = {.a = args, .row_blocks = qi_div_round_up(args->m, args->cfg->xw_mr)};
  /* Column blocks of W of about 64K floats (an L2 share), at least one panel: every row block of A runs past
   * one block before the next is loaded. */
  t.col_block = qi_round_up(65536 / args->k, nr);
  if (t.col_block < nr) t.col_block = nr;
  if (t.col_block > args->n) t.col_block = args->n;
  t.col_blocks = qi_div_round_up(args->n, t.col_block);
  qi_parallel_for(pool, args->batch * t.col_blocks * t.row_blocks, 1, gemm_xw_tiles, &t);
}

void qi_nn_pack_xw(const qi_f32_gemm_config *cfg, size_t k, size_t n, const float *w, size_t k_stride,
                   size_t n_stride, float alpha, const float *bias, float *dst) {
  const size_t nr = cfg->xw_nr, panel_floats = qi_f32_gemm_panel_floats(k, nr, cfg->xw_kr);
  const size_t total = qi_f32_gemm_packed_floats(n, k, nr, cfg->xw_kr);
  cfg->pack(n, k, nr, cfg->xw_kr, w, n_stride, k_stride, NULL, dst); /* W^T: N rows of K */
  if (alpha != 1.0f)
    for (size_t i = 0; i < total; i++) dst[i] *= alpha; /* the bias slots are still zeros */
  if (!bias) return;
  for (size_t j = 0; j < n; j++) dst[j / nr * panel_floats + j % nr] = bias[j];
}
