/* QLinearGlobalAveragePool and QLinearAveragePool (com.microsoft, opset 1): X (uint8 / int8), x_scale,
 * x_zero_point (optional), y_scale, y_zero_point (optional); per-tensor parameters only, as ONNX Runtime.
 * QLinearAveragePool takes AveragePool's kernel_shape, strides, pads, auto_pad, ceil_mode and count_include_pad
 * (no dilations), any spatial rank up to QI_NN_MAX_SPATIAL; both take channels_last (NHWC-style input and
 * output when 1). count_include_pad divides by the whole window, also where a ceil_mode window overhangs the
 * padded input, as ONNX Runtime's QLinearAveragePool does (its float AveragePool clips the window to the
 * padded input there).
 *
 * Each output is sum(x - x_zp) over its window as an exact int32, requantized with the scale
 * x_scale / (y_scale * count) composed in float in that order (kernels/qu8-avgpool/qu8-avgpool.h). Constant
 * scales and zero points are read and checked once in prepare, others at every run.
 * Work split: channels-first ops over the N*C planes (global pooling: rows of planes), channels-last ones over
 * the N images; every output is computed by one kernel call, so results do not depend on the thread count. */
#include "engine/ops/quant_pool.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"

typedef struct qpool_state {
  bool global, channels_last, fast2d, params_ready;
  qi_qu8_avgpool_divisor divisor;
  qi_window2d geom;   /* fast2d */
  qi_windownd geomnd; /* windowed, otherwise */
  size_t batch, channels, in_pixels, out_pixels;
  qi_qu8_avgpool_params params;
  const qi_qu8_avgpool_config *cfg;
} qpool_state;

static qi_status qpool_input(qi_graph *g, const qi_node *n, bool global, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (!x) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 0 is missing");
  if (n->n_inputs < 4 || n->n_inputs > 5 || !qi_node_in(g, n, 1) || !qi_node_in(g, n, 3))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected inputs X, x_scale, [x_zero_point], y_scale, "
                        "[y_zero_point] (4 or 5), got %d", n->n_inputs);
  if (n->n_outputs != 1 || !qi_node_out(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected one output, got %d", n->n_outputs);
  if (x->dtype != QINFER_DTYPE_UINT8 && x->dtype != QINFER_DTYPE_INT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 or int8 expected", x->name,
                        qi_dtype_name(x->dtype));
  const int max_rank = global ? QI_MAX_RANK : 2 + QI_NN_MAX_SPATIAL;
  if (x->rank < 3 || x->rank > max_rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input '%s' has rank %d, expected 3..%d", x->name, x->rank, max_rank);
  const int64_t cl = qi_attr_int(n, "channels_last", 0);
  if (cl != 0 && cl != 1) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "channels_last must be 0 or 1");
  return QINFER_OK;
}

/* Checks the node and works out the geometry and output dims. */
static qi_status qpool_geometry(qi_graph *g, const qi_node *n, qpool_state *s, int64_t *out_dims, qi_error *err) {
  s->global = strcmp(n->op_type, "QLinearGlobalAveragePool") == 0;
  QI_CHECK(qpool_input(g, n, s->global, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  s->channels_last = qi_attr_int(n, "channels_last", 0) != 0;
  const int spatial = x->rank - 2, c_axis = s->channels_last ? x->rank - 1 : 1;
  const int64_t *in_sp = x->dims + (s->channels_last ? 1 : 2);
  s->batch = (size_t)x->dims[0];
  s->channels = (size_t)x->dims[c_axis];
  s->in_pixels = 1;
  for (int i = 0; i < spatial; i++) s->in_pixels *= (size_t)in_sp[i];
  int64_t out_sp[QI_MAX_RANK];
  if (s->global) {
    for (int i = 0; i < spatial; i++) {
      if (in_sp[i] < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "spatial dimension %d of '%s' is empty", i, x->name);
      out_sp[i] = 1;
    }
    if (s->in_pixels > QI_QU8_AVGPOOL_MAX_COUNT)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a plane of %zu values is over the int32 sum limit (%zu)",
                          s->in_pixels, QI_QU8_AVGPOOL_MAX_COUNT);
    s->out_pixels = 1;
  } else {
    const int64_t ceil_mode = qi_attr_int(n, "ceil_mode", 0), cip = qi_attr_int(n, "count_include_pad", 0);
    if ((ceil_mode != 0 && ceil_mode != 1) || (cip != 0 && cip != 1))
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "ceil_mode and count_include_pad must be 0 or 1");
    s->divisor = cip ? QI_QU8_AVGPOOL_DIV_WINDOW : QI_QU8_AVGPOOL_DIV_VALID;
    qi_nn_window_attrs win;
    QI_CHECK(qi_nn_read_window_attrs(n, spatial, NULL, false, &win, err));
    QI_CHECK(qi_nn_window_output(n, &win, in_sp, ceil_mode != 0, out_sp, err));
    size_t taps = 1;
    for (int i = 0; i < spatial; i++) taps *= (size_t)win.kernel[i];
    if (taps > QI_QU8_AVGPOOL_MAX_COUNT)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a window of %zu taps is over the int32 sum limit (%zu)", taps,
                          QI_QU8_AVGPOOL_MAX_COUNT);
    s->fast2d = spatial <= 2 && !s->channels_last;
    if (s->fast2d) qi_nn_window2d(&win, in_sp, out_sp, &s->geom);
    qi_nn_windownd(&win, in_sp, out_sp, &s->geomnd);
    s->out_pixels = qi_windownd_out_size(&s->geomnd);
  }
  out_dims[0] = x->dims[0];
  out_dims[c_axis] = x->dims[c_axis];
  for (int i = 0; i < spatial; i++) out_dims[(s->channels_last ? 1 : 2) + i] = out_sp[i];
  return QINFER_OK;
}

static qi_status qpool_infer(qi_graph *g, qi_node *n, qi_error *err) {
  qpool_state s;
  memset(&s, 0, sizeof s);
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qpool_geometry(g, n, &s, dims, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  QI_CHECK(qi_qparams_check_shapes(g, n, 1, 2, x, 1, x->dtype, err));
  QI_CHECK(qi_qparams_check_shapes(g, n, 3, 4, x, 1, x->dtype, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), x->dtype, x->rank, dims);
  return QINFER_OK;
}

qi_status qi_quant_global_avgpool_infer(qi_graph *g, qi_node *n, qi_error *err) { return qpool_infer(g, n, err); }
qi_status qi_quant_avgpool_infer(qi_graph *g, qi_node *n, qi_error *err) { return qpool_infer(g, n, err); }

/* Reads and checks x's and y's parameters (per tensor, zero points of X's type) into kernel parameters. */
static qi_status qpool_params(qi_graph *g, const qi_node *n, const qi_qu8_avgpool_config *cfg,
                              qi_qu8_avgpool_params *p, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_qparams xq, yq;
  QI_CHECK(qi_qparams_read(g, n, 1, 2, x, 1, x->dtype, false, &xq, err));
  QI_CHECK(qi_qparams_read(g, n, 3, 4, x, 1, x->dtype, false, &yq, err));
  if (xq.count != 1 || yq.count != 1)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "x_scale and y_scale must be scalars (per tensor), got %lld and %lld values",
                      (long long)xq.count, (long long)yq.count);
  *p = cfg->init_params(cfg->x_domain, qi_qparams_scale(&xq, 0), qi_qparams_zero_point(&xq, 0),
                        qi_qparams_scale(&yq, 0), qi_qparams_zero_point(&yq, 0), x->dtype == QINFER_DTYPE_INT8);
  return QINFER_OK;
}

static bool params_constant(qi_graph *g, const qi_node *n) {
  for (int i = 1; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (t && !(t->flags & QI_TF_CONST)) return false;
  }
  return true;
}

/* The kernel qi_quant_pool_run calls for s. */
static const char *pool_kernel_name(const qpool_state *s) {
  if (s->channels_last) return s->global ? s->cfg->name_gavgpool_nwc : s->cfg->name_avgpool_nd;
  if (s->global) return s->cfg->name_gavgpool;
  return s->fast2d ? s->cfg->name_avgpool2d : s->cfg->name_avgpool_nd;
}

qi_status qi_quant_pool_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qpool_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qpool_geometry(g, n, s, dims, err));
  s->cfg = qi_qu8_avgpool_config_get(rt->isa);
  rt->kernel = pool_kernel_name(s);
  if (params_constant(g, n)) {
    QI_CHECK(qpool_params(g, n, s->cfg, &s->params, err));
    s->params_ready = true;
  }
  return QINFER_OK;
}

void qi_quant_pool_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

typedef struct qpool_task {
  const qpool_state *s;
  const qi_qu8_avgpool_params *params;
  const uint8_t *x;
  uint8_t *y;
} qpool_task;

/* Channels first, global: rows [begin, end) of the N*C planes. */
static void qpool_global_rows(void *arg, size_t begin, size_t end) {
  const qpool_task *t = arg;
  const size_t len = t->s->in_pixels;
  t->s->cfg->gavgpool(end - begin, len, t->x + begin * len, t->y + begin, t->params);
}

/* Channels first, windowed: planes [begin, end). */
static void qpool_planes(void *arg, size_t begin, size_t end) {
  const qpool_task *t = arg;
  const qpool_state *s = t->s;
  for (size_t p = begin; p < end; p++) {
    const uint8_t *x = t->x + p * s->in_pixels;
    uint8_t *y = t->y + p * s->out_pixels;
    if (s->fast2d) s->cfg->avgpool2d(&s->geom, s->divisor, x, y, t->params);
    else s->cfg->avgpool_nd(&s->geomnd, s->divisor, 1, x, y, t->params);
  }
}

/* Channels last: images [begin, end). */
static void qpool_images(void *arg, size_t begin, size_t end) {
  const qpool_task *t = arg;
  const qpool_state *s = t->s;
  for (size_t b = begin; b < end; b++) {
    const uint8_t *x = t->x + b * s->in_pixels * s->channels;
    uint8_t *y = t->y + b * s->out_pixels * s->channels;
    if (s->global) s->cfg->gavgpool_nwc(s->in_pixels, s->channels, x, y, t->params);
    else s->cfg->avgpool_nd(&s->geomnd, s->divisor, s->channels, x, y, t->params);
  }
}

qi_status qi_quant_pool_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qpool_state *s = rt->state;
  qi_qu8_avgpool_params params = s->params;
  if (!s->params_ready) QI_CHECK(qpool_params(g, n, s->cfg, &params, err));
  qpool_task t = {s, &params, qi_node_in(g, n, 0)->data, qi_node_out(g, n, 0)->data};
  if (s->batch == 0 || s->channels == 0 || s->out_pixels == 0) return QINFER_OK;
  if (s->channels_last) qi_parallel_for(ctx->pool, s->batch, 1, qpool_images, &t);
  else if (s->global) qi_parallel_for(ctx->pool, s->batch * s->channels, 1 + 4096 / s->in_pixels, qpool_global_rows, &t);
  else qi_parallel_for(ctx->pool, s->batch * s->channels, 1, qpool_planes, &t);
  return QINFER_OK;
}
