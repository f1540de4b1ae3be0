/* Softmax and LogSoftmax. Opset < 13 flattens the input to 2-D at axis (default 1) and normalizes each row;
 * opset >= 13 normalizes along the single axis (default -1). Along an inner axis the rows are contiguous; along
 * an outer one the op walks blocks of columns, reusing the reduction and elementwise kernels. */
#include <math.h>
#include <string.h>

#include "engine/ops/reduce_ops.h"
#include "kernels/f32-reduce/reduce.h"
#include "kernels/f32-softmax/softmax.h"
#include "kernels/f32-vbinary/vbinary.h"
#include "kernels/f32-vunary/vunary.h"

#define COLUMN_BLOCK 64

static bool is_log(const qi_node *n) { return strcmp(n->op_type, "LogSoftmax") == 0; }

/* outer x dim x inner view of the input: normalize over dim, inner elements apart. */
static qi_status softmax_layout(const qi_tensor *x, const qi_node *n, int64_t *outer, int64_t *dim,
                                int64_t *inner, qi_error *err) {
  const bool legacy = n->opset < 13;
  int axis;
  QI_CHECK(qi_reduce_axis(n, qi_attr_int(n, "axis", legacy ? 1 : -1), x->rank, legacy, &axis, err));
  *outer = 1;
  for (int d = 0; d < axis; d++) *outer *= x->dims[d];
  *dim = 1;
  *inner = 1;
  for (int d = axis; d < x->rank; d++) {
    if (legacy || d == axis)
      *dim *= x->dims[d];
    else
      *inner *= x->dims[d];
  }
  return QINFER_OK;
}

qi_status qi_reduce_softmax_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (n->n_inputs != 1 || !x || !y)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 1 input and 1 output");
  if (x->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(x->dtype));
  if (x->rank < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input must have rank >= 1");
  int64_t outer, dim, inner;
  QI_CHECK(softmax_layout(x, n, &outer, &dim, &inner, err));
  qi_tensor_set_shape(y, x->dtype, x->rank, x->dims);
  return QINFER_OK;
}

typedef struct softmax_task {
  const float *x;
  float *y;
  int64_t dim, inner, col_blocks;
  bool log;
  qi_isa isa;
} softmax_task;

static void softmax_rows(void *arg, size_t begin, size_t end) {
  const softmax_task *t = arg;
  const qi_f32_softmax_config *k = qi_f32_softmax_config_get(t->isa);
  for (size_t r = begin; r < end; r++)
    (t->log ? k->logsoftmax : k->softmax)((size_t)t->dim, t->x + r * t->dim, t->y + r * t->dim);
}

/* Item = (outer index, block of up to COLUMN_BLOCK columns). */
static void softmax_columns(void *arg, size_t begin, size_t end) {
  const softmax_task *t = arg;
  const qi_f32_reduce_config *rk = qi_f32_reduce_config_get(t->isa);
  const qi_f32_vbinary_config *add = qi_f32_vbinary_config_get(QI_VBINARY_ADD, t->isa);
  const qi_f32_vbinary_config *sub = qi_f32_vbinary_config_get(QI_VBINARY_SUB, t->isa);
  const qi_f32_vbinary_config *div = qi_f32_vbinary_config_get(QI_VBINARY_DIV, t->isa);
  const qi_f32_vunary_ukernel_fn vexp = qi_f32_vunary_config_get(QI_VUNARY_EXP, t->isa)->ukernel;
  const qi_f32_vunary_ukernel_fn vlog = qi_f32_vunary_config_get(QI_VUNARY_LOG, t->isa)->ukernel;
  const size_t dim = (size_t)t->dim, inner = (size_t)t->inner;
  for (size_t item = begin; item < end; item++) {
    const size_t o = item / (size_t)t->col_blocks, c0 = (item % (size_t)t->col_blocks) * COLUMN_BLOCK;
    const size_t cols = inner - c0 < COLUMN_BLOCK ? inner - c0 : COLUMN_BLOCK;
    const float *x = t->x + o * dim * inner + c0;
    float *y = t->y + o * dim * inner + c0;
    float max[COLUMN_BLOCK], sum[COLUMN_BLOCK];
    for (size_t c = 0; c < cols; c++) max[c] = -INFINITY, sum[c] = 0.0f;
    rk->rd[QI_REDUCE_MAX].ukernel(dim, cols, x, inner, max);
    rk->rdsumexp(dim, cols, x, inner, max, sum);
    if (t->log) { /* y = x - (max + log(sum)) */
      vlog(cols, sum, sum, NULL);
      add->op(cols, sum, max, sum);
      for (size_t r = 0; r < dim; r++) sub->op(cols, x + r * inner, sum, y + r * inner);
    } else { /* y = exp(x - max) / sum */
      for (size_t r = 0; r < dim; r++) {
        sub->op(cols, x + r * inner, max, y + r * inner);
        vexp(cols, y + r * inner, y + r * inner, NULL);
        div->op(cols, y + r * inner, sum, y + r * inner);
      }
    }
  }
}

qi_status qi_reduce_softmax_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  softmax_task t = {.x = x->data, .y = qi_node_out(g, n, 0)->data, .log = is_log(n), .isa = rt->isa};
  int64_t outer;
  QI_CHECK(softmax_layout(x, n, &outer, &t.dim, &t.inner, err));
  if (outer == 0 || t.dim == 0 || t.inner == 0) return QINFER_OK;
  if (t.inner == 1) {
    const size_t grain = (size_t)(QI_REDUCE_GRAIN / 4 / t.dim) + 1;
    qi_parallel_for(qi_reduce_pool(ctx), (size_t)outer, grain, softmax_rows, &t);
  } else {
    t.col_blocks = (t.inner + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
    const size_t grain = (size_t)(QI_REDUCE_GRAIN / 4 / (t.dim * COLUMN_BLOCK)) + 1;
    qi_parallel_for(qi_reduce_pool(ctx), (size_t)(outer * t.col_blocks), grain, softmax_columns, &t);
  }
  return QINFER_OK;
}
