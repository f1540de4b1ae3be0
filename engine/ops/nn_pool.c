/* Pooling, N x C x spatial: GlobalAveragePool / GlobalMaxPool (opset 1, any spatial rank) and AveragePool /
 * MaxPool / LpPool (opsets 1..22, any spatial rank up to QI_NN_MAX_SPATIAL): kernel_shape, strides, pads,
 * auto_pad, ceil_mode (10+; LpPool 18+), dilations (MaxPool 10+, AveragePool 19+, LpPool 18+),
 * count_include_pad (AveragePool), p (LpPool). MaxPool also takes int8 / uint8 tensors (the quantization
 * parameters pass through) and has the optional Indices output (int64, storage_order 0 row-major or 1
 * column-major, offsets into the whole unpadded input including the N and C offsets).
 * Float 1-D / 2-D Max and Average pooling without Indices take the 2-D kernels, 8-bit 1-D / 2-D MaxPool without
 * Indices the 2d kernels of the session's ISA path (kernels/u8-maxpool, s8-maxpool config), everything else the
 * N-d ones. Work is split over the N*C planes. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "kernels/f32-pool/f32-pool.h"
#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

/* ---- global pooling ---- */

qi_status qi_nn_global_pool_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 3, QI_MAX_RANK, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK];
  for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
  for (int i = 2; i < x->rank; i++)
    if (x->dims[i] < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "spatial dimension %d is empty", i);
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, x->rank, dims);
  return QINFER_OK;
}

qi_status qi_nn_global_pool_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)g, (void)n, (void)err;
  return QINFER_OK;
}

void qi_nn_global_pool_release(qi_node_rt *rt) { (void)rt; }

typedef struct gpool_task {
  qi_f32_gpool_ukernel_fn kernel;
  size_t length;
  const float *x;
  float *y;
} gpool_task;

static void gpool_rows(void *arg, size_t begin, size_t end) {
  const gpool_task *t = arg;
  const float *x = t->x + begin * t->length;
  t->kernel(end - begin, t->length, x, t->y + begin);
}

qi_status qi_nn_global_pool_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const qi_f32_pool_config *k = qi_f32_pool_config_get(rt->isa);
  gpool_task t = {strcmp(n->op_type, "GlobalMaxPool") == 0 ? k->gmaxpool : k->gavgpool, 1, x->data,
                  qi_node_out(g, n, 0)->data};
  for (int i = 2; i < x->rank; i++) t.length *= (size_t)x->dims[i];
  const size_t rows = (size_t)(x->dims[0] * x->dims[1]);
  qi_parallel_for(ctx->pool, rows, 1 + 4096 / t.length, gpool_rows, &t);
  return QINFER_OK;
}

/* ---- windowed pooling ---- */

typedef enum { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

typedef struct pool_state {
  pool_kind kind;
  int dtype;
  bool count_include_pad, column_major, indices, fast2d;
  float p;
  qi_window2d geom;   /* fast2d */
  qi_windownd geomnd; /* otherwise */
  qi_u8_maxpool_ukernel_2d_fn u8_2d; /* 8-bit MaxPool, 1-D / 2-D, no Indices; NULL otherwise */
  qi_s8_maxpool_ukernel_2d_fn s8_2d;
  qi_u8_maxpool_ukernel_nd_fn u8_nd;
  qi_s8_maxpool_ukernel_nd_fn s8_nd;
  const qi_f32_pool_config *f32;
  size_t planes, in_plane, out_plane;
} pool_state;

static qi_status pool_input(qi_graph *g, const qi_node *n, pool_kind kind, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (!x) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 0 is missing");
  if (kind == POOL_MAX && (x->dtype == QINFER_DTYPE_INT8 || x->dtype == QINFER_DTYPE_UINT8)) {
    if (x->rank < 3 || x->rank > 2 + QI_NN_MAX_SPATIAL)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input 0 ('%s') has rank %d, expected 3..%d", x->name, x->rank,
                          2 + QI_NN_MAX_SPATIAL);
    return QINFER_OK;
  }
  return qi_nn_check_float_input(g, n, 0, 3, 2 + QI_NN_MAX_SPATIAL, err);
}

static qi_status pool_geometry(qi_graph *g, const qi_node *n, pool_state *s, int64_t *out_dims, qi_error *err) {
  s->kind = strcmp(n->op_type, "MaxPool") == 0 ? POOL_MAX : strcmp(n->op_type, "LpPool") == 0 ? POOL_LP : POOL_AVG;
  QI_CHECK(pool_input(g, n, s->kind, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (n->n_outputs > (s->kind == POOL_MAX ? 2 : 1))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%d outputs, expected at most %d", n->n_outputs,
                        s->kind == POOL_MAX ? 2 : 1);
  s->dtype = x->dtype;
  s->indices = s->kind == POOL_MAX && qi_node_out(g, n, 1);
  const int64_t storage_order = qi_attr_int(n, "storage_order", 0);
  if (storage_order != 0 && storage_order != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "storage_order must be 0 or 1");
  s->column_major = storage_order == 1;
  const int64_t ceil_mode = qi_attr_int(n, "ceil_mode", 0), cip = qi_attr_int(n, "count_include_pad", 0);
  if ((ceil_mode != 0 && ceil_mode != 1) || (cip != 0 && cip != 1))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "ceil_mode and count_include_pad must be 0 or 1");
  s->count_include_pad = cip != 0;
  const int64_t p = qi_attr_int(n, "p", 2);
  if (s->kind == POOL_LP && (p < 1 || p > 64))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "p = %lld must be in 1..64", (long long)p);
  s->p = (float)p;
  const int dilation_opset = s->kind == POOL_MAX ? 10 : s->kind == POOL_LP ? 18 : 19;
  qi_nn_window_attrs win;
  QI_CHECK(qi_nn_read_window_attrs(n, x->rank - 2, NULL, n->opset >= dilation_opset || n->opset == 0, &win, err));
  int64_t out_sp[QI_NN_MAX_SPATIAL];
  QI_CHECK(qi_nn_window_output(n, &win, x->dims + 2, ceil_mode != 0, out_sp, err));
  s->fast2d = win.spatial <= 2 && s->dtype == QINFER_DTYPE_FLOAT && !s->indices && s->kind != POOL_LP;
  if (s->fast2d) qi_nn_window2d(&win, x->dims + 2, out_sp, &s->geom);
  qi_nn_windownd(&win, x->dims + 2, out_sp, &s->geomnd);
  s->planes = (size_t)(x->dims[0] * x->dims[1]);
  s->in_plane = qi_windownd_in_size(&s->geomnd);
  s->out_plane = qi_windownd_out_size(&s->geomnd);
  out_dims[0] = x->dims[0];
  out_dims[1] = x->dims[1];
  for (int i = 0; i < x->rank - 2; i++) out_dims[2 + i] = out_sp[i];
  return QINFER_OK;
}

qi_status qi_nn_pool_infer(qi_graph *g, qi_node *n, qi_error *err) {
  pool_state s;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(pool_geometry(g, n, &s, dims, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  const int rank = qi_node_in(g, n, 0)->rank;
  qi_tensor_set_shape(y, s.dtype, rank, dims);
  if (s.indices) qi_tensor_set_shape(qi_node_out(g, n, 1), QINFER_DTYPE_INT64, rank, dims);
  return QINFER_OK;
}

/* The kernel pool_planes calls for s (the same tests in the same order). */
static const char *pool_kernel_name(const pool_state *s, const qi_u8_maxpool_config *u8, const qi_s8_maxpool_config *s8) {
  if (s->s8_2d) return s8->name_2d;
  if (s->u8_2d) return u8->name_2d;
  if (s->dtype == QINFER_DTYPE_INT8) return s8->name_nd;
  if (s->dtype == QINFER_DTYPE_UINT8) return u8->name_nd;
  if (s->fast2d) return s->kind == POOL_MAX ? s->f32->name_maxpool2d : s->f32->name_avgpool2d;
  if (s->kind == POOL_MAX) return s->f32->name_maxpool_nd;
  return s->kind == POOL_AVG ? s->f32->name_avgpool_nd : s->f32->name_lppool_nd;
}

qi_status qi_nn_pool_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  pool_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(pool_geometry(g, n, s, dims, err));
  const qi_u8_maxpool_config *u8 = qi_u8_maxpool_config_get(rt->isa);
  const qi_s8_maxpool_config *s8 = qi_s8_maxpool_config_get(rt->isa);
  s->u8_nd = u8->ukernel_nd, s->s8_nd = s8->ukernel_nd;
  s->f32 = qi_f32_pool_config_get(rt->isa);
  if (s->kind == POOL_MAX && !s->indices && s->geomnd.dims <= 2) {
    if (s->dtype == QINFER_DTYPE_UINT8) s->u8_2d = u8->ukernel_2d;
    if (s->dtype == QINFER_DTYPE_INT8) s->s8_2d = s8->ukernel_2d;
  }
  rt->kernel = pool_kernel_name(s, u8, s8);
  return QINFER_OK;
}

void qi_nn_pool_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

typedef struct pool_task {
  const pool_state *s;
  const void *x;
  void *y;
  int64_t *indices;
} pool_task;

static void pool_planes(void *arg, size_t begin, size_t end) {
  const pool_task *t = arg;
  const pool_state *s = t->s;
  for (size_t p = begin; p < end; p++) {
    const size_t xo = p * s->in_plane, yo = p * s->out_plane;
    int64_t *idx = t->indices ? t->indices + yo : NULL;
    const int64_t base = (int64_t)xo;
    if (s->s8_2d) {
      s->s8_2d(&s->geomnd, (const int8_t *)t->x + xo, (int8_t *)t->y + yo);
      continue;
    }
    if (s->u8_2d) {
      s->u8_2d(&s->geomnd, (const uint8_t *)t->x + xo, (uint8_t *)t->y + yo);
      continue;
    }
    if (s->dtype == QINFER_DTYPE_INT8) {
      s->s8_nd(&s->geomnd, (const int8_t *)t->x + xo, (int8_t *)t->y + yo, idx, base, s->column_major);
      continue;
    }
    if (s->dtype == QINFER_DTYPE_UINT8) {
      s->u8_nd(&s->geomnd, (const uint8_t *)t->x + xo, (uint8_t *)t->y + yo, idx, base, s->column_major);
      continue;
    }
    const float *x = (const float *)t->x + xo;
    float *y = (float *)t->y + yo;
    if (s->fast2d && s->kind == POOL_MAX) s->f32->maxpool2d(&s->geom, x, y);
    else if (s->fast2d) s->f32->avgpool2d(&s->geom, s->count_include_pad, x, y);
    else if (s->kind == POOL_MAX) s->f32->maxpool_nd(&s->geomnd, x, y, idx, base, s->column_major);
    else if (s->kind == POOL_AVG) s->f32->avgpool_nd(&s->geomnd, s->count_include_pad, x, y);
    else s->f32->lppool_nd(&s->geomnd, s->p, x, y);
  }
}

qi_status qi_nn_pool_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const pool_state *s = rt->state;
  const qi_tensor *it = s->indices ? qi_node_out(g, n, 1) : NULL;
  pool_task t = {s, qi_node_in(g, n, 0)->data, qi_node_out(g, n, 0)->data, it ? it->data : NULL};
  qi_parallel_for(ctx->pool, s->planes, 1, pool_planes, &t);
  return QINFER_OK;
}
