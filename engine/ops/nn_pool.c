/* Pooling, NCHW: GlobalAveragePool / GlobalMaxPool (opset 1, any spatial rank) and AveragePool / MaxPool
 * (opsets 1..22, 1-D and 2-D): kernel_shape, strides, pads, auto_pad, ceil_mode (10+), dilations (MaxPool 10+,
 * AveragePool 19+), count_include_pad (AveragePool). MaxPool's optional Indices output is not supported.
 * Work is split over the N*C planes. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "kernels/f32-pool/f32-pool.h"

/* ---- global pooling ---- */

qi_status qi_nn_global_pool_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, QI_MAX_RANK, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_nn_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK];
  for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
  for (int i = 2; i < x->rank; i++)
    if (x->dims[i] < 1) return qi_nn_fail(err, QINFER_ERR_SHAPE, n, "spatial dimension %d is empty", i);
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, x->rank, dims);
  return QINFER_OK;
}

qi_status qi_nn_global_pool_prepare(qi_graph *g, qi_node *n, qi_error *err) {
  (void)g, (void)n, (void)err;
  return QINFER_OK;
}

void qi_nn_global_pool_release(qi_node *n) { (void)n; }

typedef struct gpool_task {
  bool is_max;
  size_t length;
  const float *x;
  float *y;
} gpool_task;

static void gpool_rows(void *arg, size_t begin, size_t end) {
  const gpool_task *t = arg;
  const float *x = t->x + begin * t->length;
  if (t->is_max) qi_f32_gmaxpool_ukernel__scalar(end - begin, t->length, x, t->y + begin);
  else qi_f32_gavgpool_ukernel__scalar(end - begin, t->length, x, t->y + begin);
}

qi_status qi_nn_global_pool_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  gpool_task t = {strcmp(n->op_type, "GlobalMaxPool") == 0, 1, x->data, qi_node_out(g, n, 0)->data};
  for (int i = 2; i < x->rank; i++) t.length *= (size_t)x->dims[i];
  const size_t rows = (size_t)(x->dims[0] * x->dims[1]);
  qi_parallel_for(ctx->pool, rows, 1 + 4096 / t.length, gpool_rows, &t);
  return QINFER_OK;
}

/* ---- windowed pooling ---- */

typedef struct pool_state {
  bool is_max, count_include_pad;
  qi_window2d geom;
  size_t planes;
} pool_state;

static qi_status pool_geometry(qi_graph *g, const qi_node *n, pool_state *s, int64_t *out_dims, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, 5, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (x->rank == 5) return qi_nn_fail(err, QINFER_ERR_UNSUPPORTED, n, "3-D pooling is not supported");
  s->is_max = strcmp(n->op_type, "MaxPool") == 0;
  if (s->is_max && qi_node_out(g, n, 1))
    return qi_nn_fail(err, QINFER_ERR_UNSUPPORTED, n, "the Indices output of MaxPool is not supported");
  const int64_t storage_order = qi_attr_int(n, "storage_order", 0);
  if (storage_order != 0 && storage_order != 1)
    return qi_nn_fail(err, QINFER_ERR_INVALID_MODEL, n, "storage_order must be 0 or 1");
  const int64_t ceil_mode = qi_attr_int(n, "ceil_mode", 0), cip = qi_attr_int(n, "count_include_pad", 0);
  if ((ceil_mode != 0 && ceil_mode != 1) || (cip != 0 && cip != 1))
    return qi_nn_fail(err, QINFER_ERR_INVALID_MODEL, n, "ceil_mode and count_include_pad must be 0 or 1");
  s->count_include_pad = cip != 0;
  const bool dilations_allowed = s->is_max ? n->opset >= 10 || n->opset == 0 : n->opset >= 19 || n->opset == 0;
  qi_nn_window_attrs win;
  QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, NULL, dilations_allowed, &win, err));
  int64_t out_sp[2];
  QI_CHECK(qi_nn_window_output(n, &win, x->dims + 2, ceil_mode != 0, out_sp, err));
  qi_nn_window2d(&win, x->dims + 2, out_sp, &s->geom);
  s->planes = (size_t)(x->dims[0] * x->dims[1]);
  out_dims[0] = x->dims[0];
  out_dims[1] = x->dims[1];
  for (int i = 0; i < x->rank - 2; i++) out_dims[2 + i] = out_sp[i];
  return QINFER_OK;
}

qi_status qi_nn_pool_infer(qi_graph *g, qi_node *n, qi_error *err) {
  pool_state s;
  int64_t dims[4];
  QI_CHECK(pool_geometry(g, n, &s, dims, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_nn_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, qi_node_in(g, n, 0)->rank, dims);
  return QINFER_OK;
}

qi_status qi_nn_pool_prepare(qi_graph *g, qi_node *n, qi_error *err) {
  pool_state *s = calloc(1, sizeof *s);
  if (!s) return qi_nn_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  n->state = s;
  int64_t dims[4];
  return pool_geometry(g, n, s, dims, err);
}

void qi_nn_pool_release(qi_node *n) {
  free(n->state);
  n->state = NULL;
}

typedef struct pool_task {
  const pool_state *s;
  const float *x;
  float *y;
} pool_task;

static void pool_planes(void *arg, size_t begin, size_t end) {
  const pool_task *t = arg;
  const qi_window2d *geo = &t->s->geom;
  const size_t in_plane = geo->in_h * geo->in_w, out_plane = geo->out_h * geo->out_w;
  for (size_t p = begin; p < end; p++) {
    if (t->s->is_max) qi_f32_maxpool2d_chw_ukernel__scalar(geo, t->x + p * in_plane, t->y + p * out_plane);
    else qi_f32_avgpool2d_chw_ukernel__scalar(geo, t->s->count_include_pad, t->x + p * in_plane, t->y + p * out_plane);
  }
}

qi_status qi_nn_pool_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const pool_state *s = n->state;
  pool_task t = {s, qi_node_in(g, n, 0)->data, qi_node_out(g, n, 0)->data};
  qi_parallel_for(ctx->pool, s->planes, 1, pool_planes, &t);
  return QINFER_OK;
}
