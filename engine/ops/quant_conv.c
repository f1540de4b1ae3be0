/* QLinearConv (opset 10+) and ConvInteger (opset 10), NCHW, 1-D and 2-D, and the tiled qu8 gemm driver.
 *
 * QLinearConv paths, chosen in prepare when every parameter, the weights and the bias are constants and the
 * weights are int8 with zero points 0 (the form quantizers emit):
 *   - depthwise (group == C_in > 1, input and output of one type): the qu8 dwconv kernel per output plane;
 *   - pointwise (1x1, stride 1, no padding): the input planes are packed as the gemm's activation operand;
 *   - general: im2col straight into the packed activation layout, one tile of output pixels at a time.
 * The gemm paths pack the weights once per group with the per-channel bias B[c] - x_zp * sum_k w[c][k] and
 * the requantization scale (x_scale * w_scale[c]) / y_scale (float, in that order) next to them.
 * Anything else (uint8 weights, nonzero weight zero points, parameters or weights computed at run time, K above
 * the gemm's limit) takes the generic path: a direct loop accumulating (x - x_zp) * (w - w_zp) in int32 per
 * output element, then the same requantization, with every parameter read and checked at run time.
 * ConvInteger always takes the generic loop and stores the int32 sums. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "kernels/qu8-dwconv/qu8-dwconv.h"
#include "kernels/requant.h"

/* ------------------------------------------------------------------------------------------------ gemm driver */

/* Columns per tile: at most QI_QGEMM_TILE_BYTES of packed activations (a multiple of 4 NR), then the n columns cut
 * into that many tiles of equal width rounded up to NR, so that no tile is a sliver (a 14x14 output, 196 columns
 * at K = 2304: 3 tiles of 72, 72 and 52 columns rather than 96, 96 and 4). */
size_t qi_qgemm_tile(const qi_qu8_gemm_config *cfg, size_t k, size_t n) {
  const size_t block = 4 * cfg->nr;
  size_t tile = QI_QGEMM_TILE_BYTES / qi_qu8_round_up(k, cfg->kr) / block * block;
  if (tile < block) tile = block;
  if (n == 0) return cfg->nr;
  const size_t tiles = (n + tile - 1) / tile;
  return qi_qu8_round_up((n + tiles - 1) / tiles, cfg->nr);
}

/* The gemm tasks of one tile: column blocks of `block` columns (about 4 NR, equal widths rounded up to NR) times
 * panels of MR rows, numbered so that the static split of qi_parallel_for gives each thread a contiguous range
 * of the larger operand: panel-major (each thread its own rows of W, every column block) when the tile's weights
 * outweigh its activations (m > columns: the 7x7 and 14x14 layers, whose weights would otherwise be streamed by
 * every thread), column-major (each thread mostly the column blocks it packed itself) otherwise. */
typedef struct qgemm_tile_task {
  const qi_qgemm_job *job;
  size_t t0, t1;          /* columns of the tile */
  size_t panels, block, blocks;
  bool panel_major;
} qgemm_tile_task;

static void qgemm_pack_blocks(void *arg, size_t b0, size_t b1) {
  const qgemm_tile_task *t = arg;
  const qi_qgemm_job *j = t->job;
  const size_t nr = j->cfg->nr, n0 = t->t0 + b0 * nr, n1 = t->t0 + b1 * nr < t->t1 ? t->t0 + b1 * nr : t->t1;
  j->pack(j->pack_ctx, n0, n1, j->scratch + b0 * qi_qu8_gemm_xblock_bytes(j->k, nr, j->cfg->kr));
}

static void qgemm_tasks(void *arg, size_t i0, size_t i1) {
  const qgemm_tile_task *t = arg;
  const qi_qgemm_job *j = t->job;
  const size_t mr = j->cfg->mr, nr = j->cfg->nr;
  const size_t panel = j->qb4w ? qi_qu8_gemm_qb4w_panel_bytes(mr, j->k, j->qb4w_params.bl)
                               : qi_qu8_gemm_panel_stride(j->cfg, j->k);
  const size_t xblock = qi_qu8_gemm_xblock_bytes(j->k, nr, j->cfg->kr);
  for (size_t i = i0; i < i1; i++) {
    const size_t cb = t->panel_major ? i % t->blocks : i / t->panels;
    const size_t p = t->panel_major ? i / t->blocks : i % t->panels, c0 = cb * t->block, m0 = p * mr;
    const size_t nc = t->t1 - t->t0 - c0 < t->block ? t->t1 - t->t0 - c0 : t->block;
    const size_t rows = j->m - m0 < mr ? j->m - m0 : mr, at = m0 * j->c_row_stride + (t->t0 + c0) * j->c_col_stride;
    const uint8_t *w = (const uint8_t *)j->packed_w + p * panel, *x = j->scratch + c0 / nr * xblock;
    if (j->s32) j->s32(rows, nc, j->k, w, x, (int32_t *)(void *)j->c + at, j->c_row_stride, j->c_col_stride);
    else if (j->qb4w) j->qb4w(rows, nc, j->k, w, x, j->c + at, j->c_row_stride, j->c_col_stride, &j->qb4w_params);
    else j->cfg->ukernel(rows, nc, j->k, w, x, j->c + at, j->c_row_stride, j->c_col_stride, &j->params);
  }
}

void qi_qgemm_tiled_run(const qi_qgemm_job *job, qi_threadpool *pool) {
  const size_t nr = job->cfg->nr, mr = job->cfg->mr;
  assert(job->tile % nr == 0 && job->tile > 0 && job->k <= QI_QU8_GEMM_MAX_K);
  for (size_t t0 = 0; t0 < job->n; t0 += job->tile) {
    const size_t t1 = job->n - t0 < job->tile ? job->n : t0 + job->tile, cols = t1 - t0;
    const size_t blocks = (cols + 4 * nr - 1) / (4 * nr), block = qi_qu8_round_up((cols + blocks - 1) / blocks, nr);
    qgemm_tile_task t = {.job = job, .t0 = t0, .t1 = t1, .panels = (job->m + mr - 1) / mr, .block = block,
                         .blocks = (cols + block - 1) / block, .panel_major = job->m > cols};
    /* one pack call per thread: an im2col call stages the input rows its pixels need, halo rows included, so
     * fewer and longer calls copy less */
    const size_t xblocks = (cols + nr - 1) / nr, threads = (size_t)qi_threadpool_size(pool);
    qi_parallel_for(pool, xblocks, (xblocks + threads - 1) / threads, qgemm_pack_blocks, &t);
    qi_parallel_for(pool, t.blocks * t.panels, 1, qgemm_tasks, &t);
  }
}

void qi_qconv_out_range(const qi_act *act, int dtype, float y_scale, int32_t y_zp, int32_t *qmin, int32_t *qmax) {
  qi_qtype_range(dtype, qmin, qmax);
  if (act->kind != QI_ACT_CLAMP) return;
  const int32_t lo = qi_quantize_f32(act->min, y_scale, y_zp, *qmin, *qmax);
  const int32_t hi = qi_quantize_f32(act->max, y_scale, y_zp, *qmin, *qmax);
  if (lo > *qmin) *qmin = lo;
  if (hi < *qmax) *qmax = hi;
}

/* ------------------------------------------------------------------------------------------------ conv ops */

typedef enum { QC_GENERIC, QC_DEPTHWISE, QC_GEMM } qconv_path;

typedef struct qconv_state {
  qconv_path path;
  bool integer; /* ConvInteger */
  bool pointwise;
  qi_window2d geom;
  size_t batch, in_c, out_c, groups, in_c_g, out_c_g, k_g, in_hw, out_hw, taps;
  int y_dtype;
  /* gemm path */
  const qi_qu8_gemm_config *gemm;
  size_t group_bytes, tile;
  void *packed;
  uint8_t x_flip, x_pad;
  qi_qu8_gemm_params params;
  /* depthwise path: weights [out_c][taps], biases, scales */
  qi_qu8_dwconv_minmax_ukernel_fn dw;
  qi_qu8_dwconv_params dwp;
  int8_t *dw_w;
  int32_t *dw_b;
  float *dw_s;
} qconv_state;

/* Input slots of the two ops. */
typedef struct qconv_slots {
  int x, w, b;
} qconv_slots;
static const qconv_slots qlinear_slots = {0, 3, 8}, integer_slots = {0, 1, -1};


typedef struct qconv_attrs {
  qi_nn_window_attrs win;
  int64_t group;
  int64_t out_sp[2];
} qconv_attrs;

static qi_status read_qconv(qi_graph *g, const qi_node *n, qconv_slots sl, qconv_attrs *a, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, sl.x), *w = qi_node_in(g, n, sl.w);
  const qi_tensor *b = sl.b >= 0 ? qi_node_in(g, n, sl.b) : NULL;
  if (!x || !w) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input x or w is missing");
  if (!qi_q_is_8bit(x->dtype) || !qi_q_is_8bit(w->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x has type %s and w %s; uint8 or int8 expected",
                        qi_dtype_name(x->dtype), qi_dtype_name(w->dtype));
  if (x->rank > 4)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%d spatial dimensions; only 1-D and 2-D are supported",
                        x->rank - 2);
  if (x->rank < 3) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "x has rank %d; N x C x spatial expected", x->rank);
  QI_CHECK(qi_nn_conv_group(n, x, w, &a->group, err));
  if (b) {
    if (b->dtype != QINFER_DTYPE_INT32 || b->rank != 1 || b->dims[0] != w->dims[0])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias must be an int32 vector of %lld values", (long long)w->dims[0]);
  }
  QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, w->dims + 2, true, &a->win, err));
  return qi_nn_window_output(n, &a->win, x->dims + 2, false, a->out_sp, err);
}

/* Checks of the parameter inputs that need no values: x and y per tensor, w per tensor or per output channel. */
static qi_status check_qlinear_params(qi_graph *g, const qi_node *n, int *y_dtype, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3), *yz = qi_node_in(g, n, 7);
  for (int slot = 1; slot <= 6; slot += 5)
    if (qi_tensor_numel(qi_node_in(g, n, slot)) != 1)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "%s '%s' must hold one value (per-tensor quantization)",
                          slot == 1 ? "x_scale" : "y_scale", qi_node_in(g, n, slot)->name);
  QI_CHECK(qi_qparams_check_shapes(g, n, 1, 2, NULL, 0, x->dtype, err));
  QI_CHECK(qi_qparams_check_shapes(g, n, 4, 5, w, 0, w->dtype, err));
  QI_CHECK(qi_qparams_check_shapes(g, n, 6, 7, NULL, 0, QINFER_DTYPE_UINT8, err));
  *y_dtype = yz ? yz->dtype : QINFER_DTYPE_UINT8;
  if (!qi_q_is_8bit(*y_dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "y_zero_point has type %s; uint8 or int8 expected",
                        qi_dtype_name(*y_dtype));
  return QINFER_OK;
}

static qi_status qconv_infer(qi_graph *g, qi_node *n, qconv_slots sl, int y_dtype, qi_error *err) {
  qconv_attrs a;
  QI_CHECK(read_qconv(g, n, sl, &a, err));
  const qi_tensor *x = qi_node_in(g, n, sl.x), *w = qi_node_in(g, n, sl.w);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK] = {x->dims[0], w->dims[0]};
  for (int i = 0; i < x->rank - 2; i++) dims[2 + i] = a.out_sp[i];
  qi_tensor_set_shape(y, y_dtype, x->rank, dims);
  return QINFER_OK;
}

qi_status qi_qlinearconv_infer(qi_graph *g, qi_node *n, qi_error *err) {
  int y_dtype = QINFER_DTYPE_UINT8;
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3);
  if (n->n_inputs < 8 || !x || !w || !qi_node_in(g, n, 1) || !qi_node_in(g, n, 4) || !qi_node_in(g, n, 6))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "QLinearConv needs 8 or 9 inputs (x, x_scale, x_zero_point, "
                        "w, w_scale, w_zero_point, y_scale, y_zero_point[, B])");
  QI_CHECK(read_qconv(g, n, qlinear_slots, &(qconv_attrs){0}, err));
  QI_CHECK(check_qlinear_params(g, n, &y_dtype, err));
  return qconv_infer(g, n, qlinear_slots, y_dtype, err);
}

qi_status qi_convinteger_infer(qi_graph *g, qi_node *n, qi_error *err) {
  return qconv_infer(g, n, integer_slots, QINFER_DTYPE_INT32, err);
}

void qi_qconv_release(qi_node_rt *rt) {
  qconv_state *s = rt->state;
  if (s) {
    free(s->dw_b); /* packed and dw_w belong to rt (qi_rt_packed) */
    free(s->dw_s);
  }
  free(s);
  rt->state = NULL;
}

static qi_status qconv_state_new(qi_graph *g, qi_node *n, qi_node_rt *rt, qconv_slots sl, qconv_state **out, qi_error *err) {
  qconv_attrs a;
  QI_CHECK(read_qconv(g, n, sl, &a, err));
  const qi_tensor *x = qi_node_in(g, n, sl.x), *w = qi_node_in(g, n, sl.w);
  qconv_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  qi_nn_window2d(&a.win, x->dims + 2, a.out_sp, &s->geom);
  s->batch = (size_t)x->dims[0];
  s->in_c = (size_t)x->dims[1];
  s->out_c = (size_t)w->dims[0];
  s->groups = (size_t)a.group;
  s->in_c_g = s->in_c / s->groups;
  s->out_c_g = s->out_c / s->groups;
  s->taps = s->geom.kernel_h * s->geom.kernel_w;
  s->k_g = s->in_c_g * s->taps;
  s->in_hw = s->geom.in_h * s->geom.in_w;
  s->out_hw = s->geom.out_h * s->geom.out_w;
  s->y_dtype = qi_node_out(g, n, 0)->dtype;
  *out = s;
  return QINFER_OK;
}

/* The fast paths: every parameter, weights and bias constant, int8 weights with zero points 0. */
static qi_status qlinearconv_prepare_fast(qi_graph *g, qi_node *n, qi_node_rt *rt, qconv_state *s, bool *done, qi_error *err) {
  *done = false;
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3), *b = qi_node_in(g, n, 8);
  for (int i = 1; i < 9; i++)
    if (!qi_q_is_const(qi_node_in(g, n, i))) return QINFER_OK;
  qi_qparams xq, wq, yq;
  QI_CHECK(qi_qparams_read(g, n, 1, 2, x, 0, x->dtype, true, &xq, err));
  QI_CHECK(qi_qparams_read(g, n, 4, 5, w, 0, w->dtype, true, &wq, err));
  QI_CHECK(qi_qparams_read(g, n, 6, 7, NULL, 0, QINFER_DTYPE_UINT8, true, &yq, err));
  if (w->dtype != QINFER_DTYPE_INT8 || s->k_g > QI_QU8_GEMM_MAX_K) return QINFER_OK;
  for (int64_t c = 0; c < wq.count; c++)
    if (qi_qparams_zero_point(&wq, c) != 0) return QINFER_OK;
  const float xs = qi_qparams_scale(&xq, 0), ys = qi_qparams_scale(&yq, 0);
  const int32_t yzp = qi_qparams_zero_point(&yq, 0);
  const bool x_int8 = x->dtype == QINFER_DTYPE_INT8, y_int8 = s->y_dtype == QINFER_DTYPE_INT8;
  const int32_t x_zp = qi_qparams_zero_point(&xq, 0);
  int32_t qmin, qmax;
  qi_qconv_out_range(&rt->act, s->y_dtype, ys, yzp, &qmin, &qmax);
  float *scale = malloc(s->out_c * sizeof(float));
  int32_t *bias = malloc(s->out_c * sizeof(int32_t));
  if (!scale || !bias) {
    free(scale), free(bias);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  }
  for (size_t c = 0; c < s->out_c; c++) {
    scale[c] = (xs * qi_qparams_scale(&wq, (int64_t)c)) / ys;
    bias[c] = b ? ((const int32_t *)b->data)[c] : 0;
  }
  if (s->groups == s->in_c && s->groups > 1 && x->dtype == s->y_dtype && qmin <= yzp && yzp <= qmax) {
    s->path = QC_DEPTHWISE;
    const qi_qu8_dwconv_config *dw = qi_qu8_dwconv_config_get(rt->isa);
    s->dw = s->geom.kernel_h == 3 && s->geom.kernel_w == 3 ? dw->ukernel_3x3 : dw->ukernel_any;
    rt->kernel = s->geom.kernel_h == 3 && s->geom.kernel_w == 3 ? dw->name_3x3 : dw->name_any;
    s->dwp = dw->init_params(dw->x_domain, x_zp, yzp, qmin, qmax, x_int8);
    bool fresh;
    s->dw_w = qi_rt_packed(rt, 0, s->out_c * s->taps, &fresh);
    if (!s->dw_w) {
      free(scale), free(bias);
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    }
    if (fresh) memcpy(s->dw_w, w->data, s->out_c * s->taps);
    s->dw_b = bias;
    s->dw_s = scale;
  } else {
    s->path = QC_GEMM;
    s->gemm = qi_qu8_gemm_config_get(rt->isa);
    rt->kernel = s->gemm->name;
    s->x_flip = qi_qu8_gemm_x_flip(s->gemm, x_int8);
    const int32_t x_zp_d = qi_qu8_gemm_x_zero_point(s->gemm, x_zp, x_int8);
    s->x_pad = (uint8_t)x_zp_d;
    s->group_bytes = s->gemm->packed_w_size(s->gemm, s->out_c_g, s->k_g);
    bool fresh;
    s->packed = qi_rt_packed(rt, 0, s->groups * s->group_bytes, &fresh);
    if (!s->packed) {
      free(scale), free(bias);
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
    }
    for (size_t grp = 0; fresh && grp < s->groups; grp++) {
      const size_t c0 = grp * s->out_c_g;
      s->gemm->pack_w(s->gemm, s->out_c_g, s->k_g, (const int8_t *)w->data + c0 * s->k_g, s->k_g, 1, bias + c0,
                      scale + c0, x_zp_d, (uint8_t *)s->packed + grp * s->group_bytes);
    }
    free(scale), free(bias);
    s->params = s->gemm->init_params(yzp, qmin, qmax, y_int8);
    const qi_window2d *gm = &s->geom;
    s->pointwise = s->taps == 1 && gm->stride_h == 1 && gm->stride_w == 1 && gm->pad_top == 0 && gm->pad_left == 0 &&
                   gm->pad_bottom == 0 && gm->pad_right == 0;
    s->tile = qi_qgemm_tile(s->gemm, s->k_g, s->out_hw);
    rt->scratch_bytes = qi_qgemm_scratch_bytes(s->gemm, s->k_g, s->tile);
  }
  rt->const_inputs_packed = true;
  *done = true;
  return QINFER_OK;
}

qi_status qi_qlinearconv_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qconv_state *s;
  QI_CHECK(qconv_state_new(g, n, rt, qlinear_slots, &s, err));
  if (rt->act.kind != QI_ACT_NONE && rt->act.kind != QI_ACT_CLAMP)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused Relu / Clip is supported on a quantized output");
  bool done;
  QI_CHECK(qlinearconv_prepare_fast(g, n, rt, s, &done, err));
  if (!done) s->path = QC_GENERIC;
  return QINFER_OK;
}

qi_status qi_convinteger_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qconv_state *s;
  QI_CHECK(qconv_state_new(g, n, rt, integer_slots, &s, err));
  s->integer = true;
  s->path = QC_GENERIC;
  return QINFER_OK;
}

/* ---- gemm path ---- */

typedef struct qconv_pack_ctx {
  const qconv_state *s;
  const uint8_t *x; /* the group's first input plane */
} qconv_pack_ctx;

static void pack_pointwise(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const qconv_pack_ctx *p = ctx;
  p->s->gemm->pack_x(p->s->k_g, n1 - n0, p->s->gemm->nr, p->s->gemm->kr, p->x + n0, p->s->in_hw, 1, p->s->x_flip,
                     dst);
}

static void pack_im2col(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const qconv_pack_ctx *p = ctx;
  qi_qu8_im2col_packed(&p->s->geom, p->s->in_c_g, p->x, p->s->x_flip, p->s->x_pad, n0, n1, p->s->gemm->nr,
                       p->s->gemm->kr, dst);
}

static void run_gemm_path(const qconv_state *s, const uint8_t *x, uint8_t *y, uint8_t *scratch, qi_threadpool *pool) {
  for (size_t image = 0; image < s->batch; image++) {
    for (size_t grp = 0; grp < s->groups; grp++) {
      const qconv_pack_ctx pc = {s, x + (image * s->in_c + grp * s->in_c_g) * s->in_hw};
      const qi_qgemm_job job = {
          .cfg = s->gemm,
          .m = s->out_c_g,
          .n = s->out_hw,
          .k = s->k_g,
          .packed_w = (const uint8_t *)s->packed + grp * s->group_bytes,
          .pack = s->pointwise ? pack_pointwise : pack_im2col,
          .pack_ctx = &pc,
          .c = y + (image * s->out_c + grp * s->out_c_g) * s->out_hw,
          .c_row_stride = s->out_hw,
          .c_col_stride = 1,
          .params = s->params,
          .scratch = scratch,
          .tile = s->tile,
      };
      qi_qgemm_tiled_run(&job, pool);
    }
  }
}

/* ---- depthwise path ---- */

typedef struct dw_task {
  const qconv_state *s;
  const uint8_t *x;
  uint8_t *y;
} dw_task;

static void dw_planes(void *arg, size_t begin, size_t end) {
  const dw_task *t = arg;
  const qconv_state *s = t->s;
  const size_t multiplier = s->out_c / s->in_c;
  for (size_t i = begin; i < end; i++) {
    const size_t image = i / s->out_c, oc = i % s->out_c, ic = oc / multiplier;
    s->dw(&s->geom, t->x + (image * s->in_c + ic) * s->in_hw, s->dw_w + oc * s->taps, s->dw_b[oc], s->dw_s[oc],
          t->y + i * s->out_hw, &s->dwp);
  }
}

/* ---- generic path ---- */


typedef struct generic_task {
  const qconv_state *s;
  const void *x, *w;
  bool x_signed, w_signed;
  int32_t x_zp;
  qi_qparams wq;        /* zero points (and for QLinearConv scales) of w */
  const int32_t *bias;  /* NULL: none */
  float xs, ys;         /* QLinearConv */
  int32_t y_zp, qmin, qmax;
  void *y;
} generic_task;

static void generic_planes(void *arg, size_t begin, size_t end) {
  const generic_task *t = arg;
  const qconv_state *s = t->s;
  const qi_window2d *gm = &s->geom;
  for (size_t i = begin; i < end; i++) {
    const size_t image = i / s->out_c, oc = i % s->out_c, grp = oc / s->out_c_g;
    const int32_t w_zp = qi_qparams_zero_point(&t->wq, (int64_t)oc);
    const size_t x0 = (image * s->in_c + grp * s->in_c_g) * s->in_hw, w0 = oc * s->k_g;
    float scale = 0.0f;
    if (!s->integer) scale = (t->xs * qi_qparams_scale(&t->wq, (int64_t)oc)) / t->ys;
    for (size_t oy = 0; oy < gm->out_h; oy++)
      for (size_t ox = 0; ox < gm->out_w; ox++) {
        uint32_t acc = 0; /* int32 arithmetic, wrapping */
        for (size_t c = 0; c < s->in_c_g; c++)
          for (size_t ky = 0; ky < gm->kernel_h; ky++) {
            const size_t iy = oy * gm->stride_h + ky * gm->dilation_h - gm->pad_top; /* wraps when in padding */
            if (iy >= gm->in_h) continue;
            for (size_t kx = 0; kx < gm->kernel_w; kx++) {
              const size_t ix = ox * gm->stride_w + kx * gm->dilation_w - gm->pad_left;
              if (ix >= gm->in_w) continue;
              const int32_t xv = qi_q_load8(t->x, x0 + c * s->in_hw + iy * gm->in_w + ix, t->x_signed) - t->x_zp;
              const int32_t wv = qi_q_load8(t->w, w0 + (c * gm->kernel_h + ky) * gm->kernel_w + kx, t->w_signed) - w_zp;
              acc += (uint32_t)(xv * wv);
            }
          }
        const size_t o = i * s->out_hw + oy * gm->out_w + ox;
        if (s->integer) {
          ((int32_t *)t->y)[o] = (int32_t)acc;
          continue;
        }
        if (t->bias) acc += (uint32_t)t->bias[oc];
        const int32_t q = qi_requant_fp32((int32_t)acc, scale, t->y_zp, t->qmin, t->qmax);
        if (s->y_dtype == QINFER_DTYPE_INT8) ((int8_t *)t->y)[o] = (int8_t)q;
        else ((uint8_t *)t->y)[o] = (uint8_t)q;
      }
  }
}

qi_status qi_qconv_read_zero_point(qi_graph *g, const qi_node *n, int slot, const qi_tensor *data, int64_t per_axis_len,
                                   qi_qparams *out, qi_error *err) {
  const qi_tensor *z = qi_node_in(g, n, slot);
  memset(out, 0, sizeof *out);
  out->dtype = data->dtype;
  out->count = 1;
  out->axis = -1;
  if (!z) return QINFER_OK;
  if (z->dtype != data->dtype)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has type %s but '%s' has type %s", z->name,
                        qi_dtype_name(z->dtype), data->name, qi_dtype_name(data->dtype));
  const int64_t count = qi_tensor_numel(z);
  if (z->rank > 1 || !(count == 1 || (per_axis_len > 0 && count == per_axis_len)))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' has %lld values; 1%s expected", z->name,
                        (long long)count, per_axis_len > 0 ? " or one per channel / row / column" : "");
  if (!z->data) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "zero point '%s' has no value", z->name);
  out->count = count;
  out->zero_point = z->data;
  return QINFER_OK;
}

static qi_status run_generic(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qconv_state *s, qi_threadpool *pool, qi_error *err) {
  const qconv_slots sl = s->integer ? integer_slots : qlinear_slots;
  const qi_tensor *x = qi_node_in(g, n, sl.x), *w = qi_node_in(g, n, sl.w);
  const qi_tensor *b = sl.b >= 0 ? qi_node_in(g, n, sl.b) : NULL;
  generic_task t = {.s = s, .x = x->data, .w = w->data, .x_signed = x->dtype == QINFER_DTYPE_INT8,
                    .w_signed = w->dtype == QINFER_DTYPE_INT8, .bias = b ? b->data : NULL,
                    .y = qi_node_out(g, n, 0)->data};
  if (s->integer) {
    qi_qparams xz;
    QI_CHECK(qi_qconv_read_zero_point(g, n, 2, x, 0, &xz, err));
    QI_CHECK(qi_qconv_read_zero_point(g, n, 3, w, (int64_t)s->out_c, &t.wq, err));
    t.x_zp = qi_qparams_zero_point(&xz, 0);
  } else {
    qi_qparams xq, yq;
    QI_CHECK(qi_qparams_read(g, n, 1, 2, x, 0, x->dtype, false, &xq, err));
    QI_CHECK(qi_qparams_read(g, n, 4, 5, w, 0, w->dtype, false, &t.wq, err));
    QI_CHECK(qi_qparams_read(g, n, 6, 7, NULL, 0, QINFER_DTYPE_UINT8, false, &yq, err));
    t.x_zp = qi_qparams_zero_point(&xq, 0);
    t.xs = qi_qparams_scale(&xq, 0);
    t.ys = qi_qparams_scale(&yq, 0);
    t.y_zp = qi_qparams_zero_point(&yq, 0);
    qi_qconv_out_range(&rt->act, s->y_dtype, t.ys, t.y_zp, &t.qmin, &t.qmax);
  }
  qi_parallel_for(pool, s->batch * s->out_c, 1, generic_planes, &t);
  return QINFER_OK;
}

static qi_status qconv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qconv_state *s = rt->state;
  const qconv_slots sl = s->integer ? integer_slots : qlinear_slots;
  const uint8_t *x = qi_node_in(g, n, sl.x)->data;
  uint8_t *y = qi_node_out(g, n, 0)->data;
  switch (s->path) {
    case QC_GEMM: run_gemm_path(s, x, y, rt->scratch, ctx->pool); return QINFER_OK;
    case QC_DEPTHWISE: {
      dw_task t = {s, x, y};
      qi_parallel_for(ctx->pool, s->batch * s->out_c, 1, dw_planes, &t);
      return QINFER_OK;
    }
    case QC_GENERIC: break;
  }
  return run_generic(g, n, rt, s, ctx->pool, err);
}

qi_status qi_qlinearconv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qconv_run(g, n, rt, ctx, err);
}
qi_status qi_convinteger_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qconv_run(g, n, rt, ctx, err);
}
