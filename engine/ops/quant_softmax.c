/* com.microsoft QLinearSoftmax: X (uint8 / int8), X_scale, x_zero_point, y_scale, y_zero_point (per tensor; absent
 * zero points are 0); attributes opset (required: the Softmax version the node stands for) and axis (default -1
 * at every opset, as ONNX Runtime's schema gives it, not Softmax-1..11's 1). Below 13 the input is coerced to 2-D
 * at axis (one softmax over every value from axis on); from 13 on the softmax runs along the one axis.
 *
 * ONNX Runtime's algorithm, reproduced operation by operation so that the bytes match (docs/quantization.md):
 *   shift = max(0, ln((float)FLT_MAX / (float)D) - 5) / x_scale        in double, D the softmax length
 *   T[i]  = (float)exp((i - 255 + shift) * x_scale), i = 0..255        in double, rounded to float
 *   per softmax: m = max x;  e_j = T[255 - m + x_j] = c * e^{(x_j - m) x_scale} with a constant c that keeps
 *                a sum of D terms finite;  sum = e_0 + e_1 + ... in float, in order along the axis;
 *                y_j = round_half_even((e_j * floor(1 / y_scale)) / sum) + y_zero_point, in float, saturated.
 * x_zero_point cancels out (softmax is shift-invariant) and is only checked. floor(1 / y_scale) is ONNX Runtime's:
 * exact for the 1/256 its quantizer writes, coarser for other scales. One departure: for a softmax of one value
 * the product e * floor(1 / y_scale) overflows to infinity, which ONNX Runtime's uint8 path converts to 0 (output
 * y_zero_point); qinfer saturates it (255), as its int8 path does (127).
 * Softmaxes are split over threads whole, so results do not depend on the thread count. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "engine/ops/quant_common.h"
#include "engine/ops/quant_elem.h"
#include "engine/ops/quant_transformer.h"

typedef struct qsoftmax_state {
  float table[256];
  float table_scale; /* the x_scale and length the table was built for (0: not built) */
  int64_t table_len;
} qsoftmax_state;

/* The softmax geometry of x: `outer` blocks of `len` values spaced `inner` apart (inner consecutive softmaxes). */
typedef struct qsoftmax_shape {
  int64_t outer, len, inner;
} qsoftmax_shape;

static qi_status qsoftmax_shape_of(const qi_node *n, const qi_tensor *x, qsoftmax_shape *sh, qi_error *err) {
  const qi_attr *opset_attr = qi_node_attr(n, "opset");
  if (!opset_attr)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "attribute opset (the Softmax version the node stands for) is required");
  const int64_t opset = opset_attr->i;
  const int64_t axis_attr = qi_attr_int(n, "axis", -1); /* ORT's schema default, at every opset */
  const int64_t axis = axis_attr < 0 ? axis_attr + x->rank : axis_attr;
  if (x->rank < 1 || axis < 0 || axis >= x->rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld is out of range for rank %d",
                        (long long)axis_attr, x->rank);
  sh->outer = sh->len = sh->inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis) sh->outer *= x->dims[d];
    else if (d == axis || opset < 13) sh->len *= x->dims[d];
    else sh->inner *= x->dims[d];
  }
  return QINFER_OK;
}

qi_status qi_qsoftmax_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs < 4 || n->n_inputs > 5)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "expected inputs X, X_scale, [x_zero_point], y_scale, [y_zero_point], got %d", n->n_inputs);
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!x || !y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "X and Y are required");
  if (x->dtype != QINFER_DTYPE_UINT8 && x->dtype != QINFER_DTYPE_INT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 or int8 expected", x->name,
                        qi_dtype_name(x->dtype));
  qsoftmax_shape sh;
  QI_CHECK(qsoftmax_shape_of(n, x, &sh, err));
  qi_qparam1 p[2];
  QI_CHECK(qi_qparam1_get_xy(g, n, qi_qparams_all_const(g, n, 1u), p, err));
  qi_tensor_set_shape(y, x->dtype, x->rank, x->dims);
  return QINFER_OK;
}

qi_status qi_qsoftmax_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)g;
  rt->state = calloc(1, sizeof(qsoftmax_state));
  return rt->state ? QINFER_OK : qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
}

/* ONNX Runtime's exponent table for x_scale and a softmax of len values (see the top of the file). */
static void qsoftmax_build_table(qsoftmax_state *s, float x_scale, int64_t len) {
  const double shift = fmax(0.0, log((double)(FLT_MAX / (float)len)) - 5.0) / (double)x_scale;
  for (int i = 0; i < 256; i++) s->table[i] = (float)exp(((double)i - 255.0 + shift) * (double)x_scale);
  s->table_scale = x_scale;
  s->table_len = len;
}

typedef struct qsoftmax_task {
  const float *table;
  const uint8_t *x;
  uint8_t *y;
  qsoftmax_shape sh;
  bool s8;
  float y_mult; /* floor(1 / y_scale) */
  int32_t zp, hi; /* y_zero_point, qmax - y_zero_point */
} qsoftmax_task;

static inline int32_t qsoftmax_load(const qsoftmax_task *t, const uint8_t *p) {
  return t->s8 ? (int32_t)(int8_t)*p : (int32_t)*p;
}

static void qsoftmax_rows(void *arg, size_t begin, size_t end) {
  const qsoftmax_task *t = arg;
  const int64_t len = t->sh.len, inner = t->sh.inner;
  for (size_t r = begin; r < end; r++) {
    const int64_t o = (int64_t)r / inner, i = (int64_t)r % inner;
    const uint8_t *x = t->x + o * len * inner + i;
    uint8_t *y = t->y + o * len * inner + i;
    int32_t m = qsoftmax_load(t, x);
    for (int64_t j = 1; j < len; j++) {
      const int32_t v = qsoftmax_load(t, x + j * inner);
      m = v > m ? v : m;
    }
    const float *e = t->table + 255 - m; /* e[v] for v <= m */
    float sum = 0.0f;
    for (int64_t j = 0; j < len; j++) sum += e[qsoftmax_load(t, x + j * inner)];
    for (int64_t j = 0; j < len; j++) {
      float v = (e[qsoftmax_load(t, x + j * inner)] * t->y_mult) / sum;
      v = v < (float)t->hi ? v : (float)t->hi; /* v >= 0 or NaN: only the upper bound can bind */
      y[j * inner] = (uint8_t)(lrintf(v) + t->zp);
    }
  }
}

qi_status qi_qsoftmax_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  qsoftmax_state *s = rt->state;
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  qsoftmax_task t = {.x = x->data, .y = y->data, .s8 = x->dtype == QINFER_DTYPE_INT8};
  QI_CHECK(qsoftmax_shape_of(n, x, &t.sh, err));
  if (qi_tensor_numel(x) == 0) return QINFER_OK;
  qi_qparam1 p[2];
  QI_CHECK(qi_qparam1_get_xy(g, n, true, p, err));
  if (s->table_scale != p[0].scale || s->table_len != t.sh.len) qsoftmax_build_table(s, p[0].scale, t.sh.len);
  int32_t qmin, qmax;
  qi_qtype_range(x->dtype, &qmin, &qmax);
  t.table = s->table;
  t.y_mult = floorf(1.0f / p[1].scale); /* inf for a subnormal y_scale: e * inf is inf or NaN, both clamped to hi */
  t.zp = p[1].zero_point;
  t.hi = qmax - t.zp;
  const size_t rows = (size_t)(t.sh.outer * t.sh.inner);
  qi_parallel_for(ctx ? ctx->pool : NULL, rows, 1 + QI_QUANT_GRAIN / (size_t)t.sh.len, qsoftmax_rows, &t);
  return QINFER_OK;
}
