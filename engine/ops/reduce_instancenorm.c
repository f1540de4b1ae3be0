/* InstanceNormalization: per (batch, channel) of X [N, C, D1, ...], y = (x - mean) / sqrt(var + eps) * scale[c]
 * + B[c] with the statistics over D1 x ... . */
#include <math.h>

#include "engine/ops/reduce_ops.h"
#include "kernels/f32-layernorm/layernorm.h"
#include "kernels/f32-vbinary/vbinary.h"
#include "kernels/f32-vmulcaddc/vmulcaddc.h"

qi_status qi_reduce_instancenorm_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *scale = qi_node_in(g, n, 1), *bias = qi_node_in(g, n, 2);
  if (n->n_inputs != 3 || !x || !scale || !bias || !qi_node_out(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected inputs X, scale, B");
  if (x->dtype != QINFER_DTYPE_FLOAT || scale->dtype != x->dtype || bias->dtype != x->dtype)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s",
                        qi_dtype_name(x->dtype != QINFER_DTYPE_FLOAT ? x->dtype : scale->dtype != x->dtype ? scale->dtype : bias->dtype));
  if (x->rank < 3) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "X must have rank >= 3");
  const int64_t c = x->dims[1];
  if (scale->rank != 1 || scale->dims[0] != c || bias->rank != 1 || bias->dims[0] != c) {
    char sx[128], ss[128];
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "scale %s and B must be [C] for X %s",
                        qi_shape_str(scale->rank, scale->dims, ss, sizeof ss), qi_shape_str(x->rank, x->dims, sx, sizeof sx));
  }
  qi_tensor_set_shape(qi_node_out(g, n, 0), x->dtype, x->rank, x->dims);
  return QINFER_OK;
}

typedef struct instancenorm_task {
  const float *x, *scale, *bias;
  float *y;
  float eps;
  size_t channels, size;
  qi_isa isa;
} instancenorm_task;

static void instancenorm_rows(void *arg, size_t begin, size_t end) {
  const instancenorm_task *t = arg;
  const qi_f32_rmeanvar_ukernel_fn meanvar = qi_f32_layernorm_config_get(t->isa)->rmeanvar;
  const qi_f32_vbinary_ukernel_fn subc = qi_f32_vbinary_config_get(QI_VBINARY_SUB, t->isa)->opc;
  const qi_f32_vmulcaddc_ukernel_fn mulcaddc = qi_f32_vmulcaddc_config_get(t->isa)->ukernel;
  for (size_t r = begin; r < end; r++) {
    const size_t c = r % t->channels;
    const float *x = t->x + r * t->size;
    float *y = t->y + r * t->size;
    float mean, var;
    meanvar(t->size, x, &mean, &var);
    subc(t->size, x, &mean, y); /* center first: x * a - mean * a would cancel when |mean| >> std */
    mulcaddc(t->size, y, t->scale[c] / sqrtf(var + t->eps), t->bias[c], y);
  }
}

qi_status qi_reduce_instancenorm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  instancenorm_task t = {.x = x->data, .scale = qi_node_in(g, n, 1)->data, .bias = qi_node_in(g, n, 2)->data,
                         .y = qi_node_out(g, n, 0)->data, .eps = qi_attr_float(n, "epsilon", 1e-5f),
                         .channels = (size_t)x->dims[1], .isa = rt->isa};
  const int64_t rows = x->dims[0] * x->dims[1];
  t.size = rows ? (size_t)(qi_tensor_numel(x) / rows) : 0;
  if (rows == 0 || t.size == 0) return QINFER_OK;
  qi_parallel_for(qi_reduce_pool(ctx), (size_t)rows, QI_REDUCE_GRAIN / t.size + 1, instancenorm_rows, &t);
  return QINFER_OK;
}
