/* MatMulQB4W (domain ai.qinfer, made by engine/pass_qdq_w4.c): a MatMul or Gemm with float activations whose
 * weight is the DequantizeLinear of a constant int4 / uint4 tensor, run on the W4A32 kernels with the weight kept
 * 4-bit (engine/ops/nn_qb4w.h) instead of the DequantizeLinear folded to float weights.
 *   inputs   A (float [..., K]), Wq (int4 / uint4 rank 2: [K, N], or [N, K] with trans_b), scale (float), zero
 *            point (optional, Wq's type, scale's shape), bias (optional float, 1 or N values, times beta)
 *   attrs    trans_b, axis and block_size (the DequantizeLinear's), beta (Gemm's, 1 for MatMul)
 *   Y[..., N] = A * dequant(Wq) (+ beta * bias)
 * The weight layouts taken (anything else the pass leaves to the float path): per tensor; per output channel (a
 * 1-D scale along Wq's N axis); blocked along K (axis = Wq's K axis, block_size a multiple of 16, or >= K). */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "engine/ops/nn_qb4w.h"

typedef struct qb4w_mm {
  qi_qb4w_source src;
} qb4w_mm;

static const qi_tensor *const_in(qi_graph *g, const qi_node *n, int i) {
  const qi_tensor *t = qi_node_in(g, n, i);
  return t && (t->flags & QI_TF_CONST) && t->data ? t : NULL;
}

/* The weight as a kernels/qb4w.h source (its rows the N output columns), or a refusal naming what does not fit. */
static qi_status weight_of(qi_graph *g, const qi_node *n, qb4w_mm *w, qi_error *err) {
  if (n->n_inputs < 3 || !qi_node_in(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected inputs A, Wq, scale[, zero_point, bias]");
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 1, QI_MAX_RANK, err));
  const qi_tensor *a = qi_node_in(g, n, 0), *q = const_in(g, n, 1), *s = const_in(g, n, 2);
  const qi_tensor *z = qi_node_in(g, n, 3);
  if (!q || !s || q->rank != 2 || !qi_dtype_is_4bit(q->dtype) || s->dtype != QINFER_DTYPE_FLOAT ||
      (z && (!const_in(g, n, 3) || z->dtype != q->dtype)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "the weight must be a constant rank-2 int4 / uint4 tensor with constant float scales and "
                        "zero points of its type");
  const bool tb = qi_attr_int(n, "trans_b", 0) != 0;
  const int k_axis = tb ? 1 : 0, n_axis = 1 - k_axis;
  const size_t K = (size_t)q->dims[k_axis], N = (size_t)q->dims[n_axis];
  if (a->dims[a->rank - 1] != (int64_t)K)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A's last dimension is %lld, the weight's K is %zu",
                        (long long)a->dims[a->rank - 1], K);
  int64_t axis = qi_attr_int(n, "axis", 1);
  if (axis < 0) axis += 2;
  const int64_t block = qi_attr_int(n, "block_size", 0);
  qi_qb4w_source *src = &w->src;
  *src = (qi_qb4w_source){.m = N, .k = K, .w = q->data, .w_signed = q->dtype == QINFER_DTYPE_INT4,
                          .scale = s->data, .zero_point = z ? z->data : NULL};
  src->w_m_stride = tb ? K : 1;
  src->w_k_stride = tb ? 1 : N;
  const int64_t count = qi_tensor_numel(s);
  if (block == 0 && count == 1) {
    src->block = K; /* per tensor: strides 0 */
  } else if (block == 0 && s->rank == 1 && axis == n_axis && count == (int64_t)N) {
    src->block = K, src->scale_m_stride = 1;
  } else if (block > 0 && axis == k_axis && s->rank == 2 && s->dims[n_axis] == (int64_t)N &&
             s->dims[k_axis] == ((int64_t)K + block - 1) / block) {
    const size_t nb = (size_t)s->dims[k_axis];
    src->block = (size_t)block;
    src->scale_m_stride = tb ? nb : 1;
    src->scale_b_stride = tb ? 1 : N;
  } else {
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "weight parameters (axis %lld, block_size %lld, %lld scales): per tensor, per output channel "
                        "or blocked along K expected", (long long)axis, (long long)block, (long long)count);
  }
  if (z && (z->rank != s->rank || memcmp(z->dims, s->dims, sizeof(int64_t) * (size_t)s->rank) != 0))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "zero point '%s' and scale '%s' have different shapes",
                        z->name, s->name);
  src->zp_m_stride = src->scale_m_stride, src->zp_b_stride = src->scale_b_stride;
  if (!qi_qb4w_linear_fits(src))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "block_size %lld: the W4A32 kernels take multiples of 16",
                        (long long)block);
  const qi_tensor *bias = qi_node_in(g, n, 4);
  if (bias && (!const_in(g, n, 4) || bias->dtype != QINFER_DTYPE_FLOAT ||
               (qi_tensor_numel(bias) != 1 && qi_tensor_numel(bias) != (int64_t)N)))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "bias must be a constant float of 1 or N values");
  return QINFER_OK;
}

qi_status qi_nn_matmul_qb4w_infer(qi_graph *g, qi_node *n, qi_error *err) {
  qb4w_mm w;
  QI_CHECK(weight_of(g, n, &w, err));
  return qi_qb4w_linear_output(g, n, w.src.m, err);
}

qi_status qi_nn_matmul_qb4w_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qi_qb4w_linear *lin = qi_qb4w_linear_state(rt, n, err);
  if (!lin) return err->code;
  qb4w_mm w;
  QI_CHECK(weight_of(g, n, &w, err));
  const qi_tensor *bias = qi_node_in(g, n, 4);
  float *b = NULL;
  if (bias) { /* beta * bias, broadcast to N */
    const float beta = qi_attr_float(n, "beta", 1.0f);
    if (!(b = malloc(sizeof(float) * (w.src.m ? w.src.m : 1))))
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    const float *bv = bias->data;
    const bool one = qi_tensor_numel(bias) == 1;
    for (size_t j = 0; j < w.src.m; j++) b[j] = beta * bv[one ? 0 : j];
  }
  const qi_status s = qi_qb4w_linear_prepare(rt, 0, &w.src, b, n, lin, err);
  free(b);
  rt->const_inputs_packed = s == QINFER_OK;
  return s;
}
