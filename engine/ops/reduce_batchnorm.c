/* BatchNormalization in inference mode (opsets 9 to 15; earlier ones with is_test=1 and spatial=1):
 * y = (x - mean) / sqrt(var + eps) * scale + B per channel of X [N, C, ...], computed as y = x * a[c] + b[c] with
 * a and b folded into scratch each run.
 * Training (training_mode = 1, or the running / saved statistics outputs) is refused. */
#include <math.h>

#include "engine/ops/reduce_ops.h"
#include "kernels/f32-vmulcaddc/vmulcaddc.h"

qi_status qi_reduce_batchnorm_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs != 5 || !qi_node_out(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 5 inputs and output Y");
  if (qi_attr_int(n, "training_mode", 0) != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "training_mode=1 is not supported");
  /* before opset 7 the default is_test=0 means the batch's own statistics; before 9 spatial=0 means statistics
   * per activation: other formulas than the one run computes */
  if (n->opset < 7 && qi_attr_int(n, "is_test", 0) == 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "BatchNormalization-%d without is_test=1 normalizes with the batch's statistics (training): "
                        "not supported", n->opset);
  if (n->opset < 9 && qi_attr_int(n, "spatial", 1) == 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "BatchNormalization-%d with spatial=0 (statistics per activation) is not supported", n->opset);
  for (int i = 1; i < n->n_outputs; i++)
    if (qi_node_out(g, n, i))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "training outputs (output %d) are not supported", i);
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (!x || x->rank < 2) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "X must have rank >= 2");
  const int64_t c = x->dims[1];
  static const char *const names[] = {"X", "scale", "B", "mean", "var"};
  for (int i = 0; i < 5; i++) {
    const qi_tensor *p = qi_node_in(g, n, i);
    if (!p) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %s is missing", names[i]);
    if (p->dtype != QINFER_DTYPE_FLOAT)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s for %s",
                          qi_dtype_name(p->dtype), names[i]);
    if (i > 0 && (p->rank != 1 || p->dims[0] != c)) {
      char sp[128];
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "%s has shape %s, expected [%lld]", names[i],
                          qi_shape_str(p->rank, p->dims, sp, sizeof sp), (long long)c);
    }
  }
  qi_tensor_set_shape(qi_node_out(g, n, 0), x->dtype, x->rank, x->dims);
  return QINFER_OK;
}

qi_status qi_reduce_batchnorm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)err;
  rt->scratch_bytes = 2 * sizeof(float) * (size_t)qi_node_in(g, n, 0)->dims[1];
  return QINFER_OK;
}

typedef struct batchnorm_task {
  const float *x, *a, *b;
  float *y;
  size_t channels, size;
  const qi_act *act;
  qi_f32_vmulcaddc_ukernel_fn mulcaddc;
} batchnorm_task;

static void batchnorm_rows(void *arg, size_t begin, size_t end) {
  const batchnorm_task *t = arg;
  for (size_t r = begin; r < end; r++) {
    const size_t c = r % t->channels;
    t->mulcaddc(t->size, t->x + r * t->size, t->a[c], t->b[c], t->y + r * t->size);
  }
  if (t->act->kind) qi_apply_act_f32(t->act, t->y + begin * t->size, (end - begin) * t->size);
}

qi_status qi_reduce_batchnorm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const float *scale = qi_node_in(g, n, 1)->data, *bias = qi_node_in(g, n, 2)->data;
  const float *mean = qi_node_in(g, n, 3)->data, *var = qi_node_in(g, n, 4)->data;
  const size_t channels = (size_t)x->dims[1];
  const float eps = qi_attr_float(n, "epsilon", 1e-5f);
  if (qi_tensor_numel(x) == 0) return QINFER_OK;
  float *a = rt->scratch, *b = a + channels;
  for (size_t c = 0; c < channels; c++) {
    a[c] = scale[c] / sqrtf(var[c] + eps);
    b[c] = bias[c] - mean[c] * a[c];
  }
  const int64_t rows = x->dims[0] * x->dims[1];
  batchnorm_task t = {.x = x->data, .a = a, .b = b, .y = qi_node_out(g, n, 0)->data, .channels = channels,
                      .size = (size_t)(qi_tensor_numel(x) / rows), .act = &rt->act,
                      .mulcaddc = qi_f32_vmulcaddc_config_get(rt->isa)->ukernel};
  qi_parallel_for(qi_reduce_pool(ctx), (size_t)rows, QI_REDUCE_GRAIN / (t.size + 1) + 1, batchnorm_rows, &t);
  return QINFER_OK;
}
