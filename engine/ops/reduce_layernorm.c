/* LayerNormalization (opset 17): normalizes over the axes [axis, rank) of X, then scales and shifts by Scale
 * and the optional B (each broadcastable to X.shape[axis:]). Optional outputs Mean and InvStdDev have X's
 * shape with the normalized axes set to 1. Scale / B of another shape than the normalized one are expanded
 * into scratch once per run. */
#include <string.h>

#include "engine/broadcast.h"
#include "engine/ops/reduce_ops.h"
#include "kernels/f32-layernorm/layernorm.h"

static int norm_axis(const qi_node *n, const qi_tensor *x) {
  const int64_t a = qi_attr_int(n, "axis", -1);
  return (int)(a < 0 ? a + x->rank : a);
}

qi_status qi_reduce_layernorm_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *scale = qi_node_in(g, n, 1), *bias = qi_node_in(g, n, 2);
  if (!x || !scale || n->n_inputs > 3 || !qi_node_out(g, n, 0))
    return qi_fail(err, QINFER_ERR_INVALID_MODEL, "LayerNormalization: expected inputs X, Scale[, B] and output Y");
  if (x->rank < 1) return qi_fail(err, QINFER_ERR_SHAPE, "LayerNormalization: X must have rank >= 1");
  int axis;
  QI_CHECK(qi_reduce_axis(n, qi_attr_int(n, "axis", -1), x->rank, false, &axis, err));
  if (qi_attr_int(n, "stash_type", 1) != 1)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "LayerNormalization: stash_type must be 1 (float)");
  const qi_tensor *params[2] = {scale, bias};
  for (int i = 0; i < 2; i++) {
    const qi_tensor *p = params[i];
    if (!p) continue;
    if (x->dtype != QINFER_DTYPE_FLOAT || p->dtype != QINFER_DTYPE_FLOAT)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, "LayerNormalization: unsupported dtype combination %s and %s",
                     qi_dtype_name(x->dtype), qi_dtype_name(p->dtype));
    if (p->rank < 0 || !qi_broadcastable_to(p->rank, p->dims, x->rank - axis, x->dims + axis)) {
      char sp[128], sx[128];
      return qi_fail(err, QINFER_ERR_SHAPE, "LayerNormalization: %s %s does not broadcast to %s",
                     i ? "B" : "Scale", qi_shape_str(p->rank, p->dims, sp, sizeof sp),
                     qi_shape_str(x->rank - axis, x->dims + axis, sx, sizeof sx));
    }
  }
  qi_tensor_set_shape(qi_node_out(g, n, 0), x->dtype, x->rank, x->dims);
  int64_t stat_dims[QI_MAX_RANK];
  for (int d = 0; d < x->rank; d++) stat_dims[d] = d < axis ? x->dims[d] : 1;
  for (int i = 1; i < 3; i++)
    if (qi_node_out(g, n, i)) qi_tensor_set_shape(qi_node_out(g, n, i), QINFER_DTYPE_FLOAT, x->rank, stat_dims);
  return QINFER_OK;
}

static int64_t norm_size(const qi_tensor *x, int axis) {
  int64_t s = 1;
  for (int d = axis; d < x->rank; d++) s *= x->dims[d];
  return s;
}

qi_status qi_reduce_layernorm_prepare(qi_graph *g, qi_node *n, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0), *scale = qi_node_in(g, n, 1), *bias = qi_node_in(g, n, 2);
  const int64_t size = norm_size(x, norm_axis(n, x));
  size_t floats = 0;
  if (qi_tensor_numel(scale) != size) floats += (size_t)size;
  if (bias && qi_tensor_numel(bias) != size) floats += (size_t)size;
  n->scratch_bytes = floats * sizeof(float);
  return QINFER_OK;
}

typedef struct layernorm_task {
  const float *x, *scale, *bias;
  float *y, *mean, *inv_std;
  float eps;
  size_t size;
  qi_f32_layernorm_ukernel_fn kernel;
} layernorm_task;

static void layernorm_rows(void *arg, size_t begin, size_t end) {
  const layernorm_task *t = arg;
  for (size_t r = begin; r < end; r++) {
    float mean, inv_std;
    t->kernel(t->size, t->x + r * t->size, t->scale, t->bias, t->eps, t->y + r * t->size, &mean, &inv_std);
    if (t->mean) t->mean[r] = mean;
    if (t->inv_std) t->inv_std[r] = inv_std;
  }
}

/* Returns p's data as a vector of size floats: in place, or expanded into *scratch. */
static const float *expand_param(const qi_tensor *p, const qi_tensor *x, int axis, int64_t size, float **scratch) {
  if (qi_tensor_numel(p) == size) return p->data;
  qi_bcast bc;
  const int64_t *dims[1] = {p->dims};
  qi_bcast_init(&bc, x->rank - axis, x->dims + axis, 1, &p->rank, dims);
  float *out = *scratch;
  qi_bcast_copy(&bc, sizeof(float), p->data, out, 0, size);
  *scratch += size;
  return out;
}

qi_status qi_reduce_layernorm_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0), *scale = qi_node_in(g, n, 1), *bias = qi_node_in(g, n, 2);
  const qi_tensor *mean = qi_node_out(g, n, 1), *inv_std = qi_node_out(g, n, 2);
  const int axis = norm_axis(n, x);
  const int64_t size = norm_size(x, axis), rows = size ? qi_tensor_numel(x) / size : 0;
  if (size == 0 || rows == 0) return QINFER_OK;
  float *scratch = n->scratch;
  layernorm_task t = {.x = x->data, .y = qi_node_out(g, n, 0)->data, .mean = mean ? mean->data : NULL,
                      .inv_std = inv_std ? inv_std->data : NULL, .eps = qi_attr_float(n, "epsilon", 1e-5f),
                      .size = (size_t)size, .kernel = qi_f32_layernorm_config_get((qi_isa)g->isa)->layernorm};
  t.scale = expand_param(scale, x, axis, size, &scratch);
  t.bias = bias ? expand_param(bias, x, axis, size, &scratch) : NULL;
  qi_parallel_for(qi_reduce_pool(ctx), (size_t)rows, (size_t)(QI_REDUCE_GRAIN / size) + 1, layernorm_rows, &t);
  return QINFER_OK;
}
