/* Elementwise unary ops and activations on float through the f32-vunary kernels; Abs, Neg, Sign and Clip
 * also on int32 / int64. Clip takes min / max as attributes before opset 11 and as optional scalar inputs
 * from opset 11 on. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/ops/math_ops.h"
#include "kernels/f32-vunary/vunary.h"

typedef struct unary_desc {
  const char *name;
  qi_vunary_op kernel;
  bool ints;       /* also int32 / int64 */
  bool expensive;  /* calls exp / log / erf / tanh per element: smaller parallel chunks */
} unary_desc;

enum {
  op_Abs, op_Neg, op_Sign, op_Sqrt, op_Exp, op_Log, op_Reciprocal, op_Floor, op_Ceil, op_Round, op_Relu,
  op_LeakyRelu, op_Clip, op_Sigmoid, op_HardSigmoid, op_HardSwish, op_Tanh, op_Erf, op_Gelu, op_Softplus,
  op_Softsign, op_Elu, op_Selu, op_Celu, op_ThresholdedRelu, op_Mish, op_Sin, op_Cos, op_Tan,
};

static const unary_desc descs[] = {
    [op_Abs] = {"Abs", QI_VUNARY_ABS, true, false},
    [op_Neg] = {"Neg", QI_VUNARY_NEG, true, false},
    [op_Sign] = {"Sign", QI_VUNARY_SIGN, true, false},
    [op_Sqrt] = {"Sqrt", QI_VUNARY_SQRT, false, false},
    [op_Exp] = {"Exp", QI_VUNARY_EXP, false, true},
    [op_Log] = {"Log", QI_VUNARY_LOG, false, true},
    [op_Reciprocal] = {"Reciprocal", QI_VUNARY_RECIPROCAL, false, false},
    [op_Floor] = {"Floor", QI_VUNARY_FLOOR, false, false},
    [op_Ceil] = {"Ceil", QI_VUNARY_CEIL, false, false},
    [op_Round] = {"Round", QI_VUNARY_ROUND, false, false},
    [op_Relu] = {"Relu", QI_VUNARY_RELU, false, false},
    [op_LeakyRelu] = {"LeakyRelu", QI_VUNARY_LEAKY_RELU, false, false},
    [op_Clip] = {"Clip", QI_VUNARY_CLAMP, true, false},
    [op_Sigmoid] = {"Sigmoid", QI_VUNARY_SIGMOID, false, true},
    [op_HardSigmoid] = {"HardSigmoid", QI_VUNARY_HARD_SIGMOID, false, false},
    [op_HardSwish] = {"HardSwish", QI_VUNARY_HARD_SWISH, false, false},
    [op_Tanh] = {"Tanh", QI_VUNARY_TANH, false, true},
    [op_Erf] = {"Erf", QI_VUNARY_ERF, false, true},
    [op_Gelu] = {"Gelu", QI_VUNARY_GELU, false, true},
    [op_Softplus] = {"Softplus", QI_VUNARY_SOFTPLUS, false, true},
    [op_Softsign] = {"Softsign", QI_VUNARY_SOFTSIGN, false, false},
    [op_Elu] = {"Elu", QI_VUNARY_ELU, false, true},
    [op_Selu] = {"Selu", QI_VUNARY_SELU, false, true},
    [op_Celu] = {"Celu", QI_VUNARY_CELU, false, true},
    [op_ThresholdedRelu] = {"ThresholdedRelu", QI_VUNARY_THRESHOLDED_RELU, false, false},
    [op_Mish] = {"Mish", QI_VUNARY_MISH, false, true},
    [op_Sin] = {"Sin", QI_VUNARY_SIN, false, true},
    [op_Cos] = {"Cos", QI_VUNARY_COS, false, true},
    [op_Tan] = {"Tan", QI_VUNARY_TAN, false, true},
};

/* Clip's optional min (slot 1) and max (slot 2) inputs from opset 11 on: scalars of the input's dtype. */
static qi_status check_clip_bounds(qi_graph *g, const qi_node *n, int dtype, qi_error *err) {
  if (n->n_inputs > 3) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected at most 3 inputs");
  if (n->n_inputs > 1 && n->opset < 11)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "min / max inputs need opset 11, node has %d", n->opset);
  for (int i = 1; i < n->n_inputs; i++) {
    const qi_tensor *b = qi_node_in(g, n, i);
    if (!b) continue;
    if (b->rank < 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input %d has no shape", i);
    if (qi_tensor_numel(b) != 1) {
      char s[128];
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "%s must be a scalar, got %s", i == 1 ? "min" : "max",
                          qi_shape_str(b->rank, b->dims, s, sizeof s));
    }
    if (b->dtype != dtype)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype combination %s and %s",
                          qi_dtype_name(dtype), qi_dtype_name(b->dtype));
  }
  return QINFER_OK;
}

static qi_status unary_infer(qi_graph *g, qi_node *n, qi_error *err, const unary_desc *d) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (d->kernel == QI_VUNARY_CLAMP) {
    if (!x) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 0 is missing");
    if (x->rank < 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input 0 has no shape");
    if (!qi_node_out(g, n, 0)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  } else {
    QI_CHECK(qi_math_check_arity(g, n, 1, 1, err));
  }
  const int dt = x->dtype;
  const bool clip8 = d->kernel == QI_VUNARY_CLAMP && (dt == QINFER_DTYPE_INT8 || dt == QINFER_DTYPE_UINT8);
  if (!(dt == QINFER_DTYPE_FLOAT || clip8 || (d->ints && (dt == QINFER_DTYPE_INT32 || dt == QINFER_DTYPE_INT64))))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(dt));
  if (d->kernel == QI_VUNARY_CLAMP) QI_CHECK(check_clip_bounds(g, n, dt, err));
  if (d->kernel == QI_VUNARY_GELU) {
    const char *approx = qi_attr_string(n, "approximate", "none");
    if (strcmp(approx, "none") != 0 && strcmp(approx, "tanh") != 0)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "unknown approximate '%s'", approx);
  }
  qi_tensor_set_shape(qi_node_out(g, n, 0), dt, x->rank, x->dims);
  return QINFER_OK;
}

/* Kernel and parameters of a float unary node, from its attributes (ONNX defaults when absent); Clip's bounds from
 * its inputs from opset 11 on unless clip_attrs. */
static qi_vunary_op unary_params(qi_graph *g, const qi_node *n, const unary_desc *d, bool clip_attrs,
                                 qi_f32_unary_params *p) {
  memset(p, 0, sizeof *p);
  switch (d->kernel) {
    case QI_VUNARY_LEAKY_RELU: p->alpha = qi_attr_float(n, "alpha", 0.01f); break;
    case QI_VUNARY_ELU:
    case QI_VUNARY_CELU:
    case QI_VUNARY_THRESHOLDED_RELU: p->alpha = qi_attr_float(n, "alpha", 1.0f); break;
    case QI_VUNARY_SELU:
      p->alpha = qi_attr_float(n, "alpha", 1.67326319217681884765625f);
      p->gamma = qi_attr_float(n, "gamma", 1.05070102214813232421875f);
      break;
    case QI_VUNARY_HARD_SIGMOID:
      p->alpha = qi_attr_float(n, "alpha", 0.2f);
      p->beta = qi_attr_float(n, "beta", 0.5f);
      break;
    case QI_VUNARY_GELU:
      return strcmp(qi_attr_string(n, "approximate", "none"), "tanh") == 0 ? QI_VUNARY_GELU_TANH : QI_VUNARY_GELU;
    case QI_VUNARY_CLAMP: {
      const qi_tensor *lo = clip_attrs ? NULL : qi_node_in(g, n, 1), *hi = clip_attrs ? NULL : qi_node_in(g, n, 2);
      const bool attrs = clip_attrs || n->opset < 11;
      p->min = attrs ? qi_attr_float(n, "min", -FLT_MAX) : lo ? *(const float *)lo->data : -INFINITY;
      p->max = attrs ? qi_attr_float(n, "max", FLT_MAX) : hi ? *(const float *)hi->data : INFINITY;
      break;
    }
    default: break;
  }
  return d->kernel;
}

bool qi_math_unary_describe(qi_graph *g, const qi_node *n, qi_vunary_op *op, qi_f32_unary_params *params) {
  if (n->domain[0]) return false;
  for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
    if (strcmp(descs[i].name, n->op_type) == 0) {
      *op = unary_params(g, n, &descs[i], false, params);
      return true;
    }
  return false;
}

bool qi_math_unary_function(const qi_node *n, const char *op_type, qi_vunary_op *op, qi_f32_unary_params *params) {
  for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
    if (strcmp(descs[i].name, op_type) == 0) {
      *op = unary_params(NULL, n, &descs[i], true, params);
      return true;
    }
  return false;
}

typedef struct unary_task {
  qi_f32_vunary_ukernel_fn kernel;
  qi_f32_unary_params params;
  const float *x;
  float *y;
} unary_task;

static void unary_chunk(void *arg, size_t begin, size_t end) {
  const unary_task *t = arg;
  t->kernel(end - begin, t->x + begin, t->y + begin, &t->params);
}

#define QI_INT_UNARY(T, U)                                                                        \
  static void int_unary_##T(const qi_graph *g, const qi_node *n, int op, const T *x, T *y, int64_t count) { \
    T lo = sizeof(T) == 4 ? (T)INT32_MIN : (T)INT64_MIN, hi = sizeof(T) == 4 ? (T)INT32_MAX : (T)INT64_MAX; \
    if (op == op_Clip) {                                                                          \
      const qi_tensor *tlo = qi_node_in((qi_graph *)g, n, 1), *thi = qi_node_in((qi_graph *)g, n, 2); \
      if (tlo) lo = *(const T *)tlo->data;                                                        \
      if (thi) hi = *(const T *)thi->data;                                                        \
    }                                                                                             \
    for (int64_t i = 0; i < count; i++) {                                                         \
      const T v = x[i];                                                                           \
      switch (op) {                                                                               \
        case op_Abs: y[i] = v < 0 ? (T)(0 - (U)v) : v; break;                                     \
        case op_Neg: y[i] = (T)(0 - (U)v); break;                                                 \
        case op_Sign: y[i] = (T)((v > 0) - (v < 0)); break;                                       \
        default: {                                                                                \
          const T c = v < lo ? lo : v;                                                            \
          y[i] = c > hi ? hi : c;                                                                 \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }
QI_INT_UNARY(int32_t, uint32_t)
QI_INT_UNARY(int64_t, uint64_t)

#define QI_CLIP_8BIT(T, T_MIN, T_MAX)                                                          \
  static void clip_##T(const qi_graph *g, const qi_node *n, const T *x, T *y, int64_t count) {        \
    const qi_tensor *tlo = qi_node_in((qi_graph *)g, n, 1), *thi = qi_node_in((qi_graph *)g, n, 2);  \
    const T lo = tlo ? *(const T *)tlo->data : T_MIN, hi = thi ? *(const T *)thi->data : T_MAX;      \
    for (int64_t i = 0; i < count; i++) {                                                             \
      const T c = x[i] < lo ? lo : x[i];                                                              \
      y[i] = c > hi ? hi : c;                                                                         \
    }                                                                                                 \
  }
QI_CLIP_8BIT(int8_t, INT8_MIN, INT8_MAX)
QI_CLIP_8BIT(uint8_t, 0, UINT8_MAX)

static qi_status unary_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, int op) {
  const unary_desc *d = &descs[op];
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  const int64_t count = qi_tensor_numel(x);
  if (x->dtype == QINFER_DTYPE_INT8) {
    clip_int8_t(g, n, x->data, y->data, count);
  } else if (x->dtype == QINFER_DTYPE_UINT8) {
    clip_uint8_t(g, n, x->data, y->data, count);
  } else if (x->dtype == QINFER_DTYPE_INT32) {
    int_unary_int32_t(g, n, op, x->data, y->data, count);
  } else if (x->dtype == QINFER_DTYPE_INT64) {
    int_unary_int64_t(g, n, op, x->data, y->data, count);
  } else {
    unary_task t = {.x = x->data, .y = y->data};
    t.kernel = qi_f32_vunary_config_get(unary_params(g, n, d, false, &t.params), rt->isa)->ukernel;
    qi_parallel_for(qi_math_pool(ctx), (size_t)count,
                    d->expensive ? QI_MATH_GRAIN_TRANSCENDENTAL : QI_MATH_GRAIN_CHEAP, unary_chunk, &t);
  }
  return QINFER_OK;
}

#define QI_UNARY_WRAPPERS(name)                                                                     \
  qi_status qi_math_##name##_infer(qi_graph *g, qi_node *n, qi_error *err) {                       \
    return unary_infer(g, n, err, &descs[op_##name]);                                               \
  }                                                                                                 \
  qi_status qi_math_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) { \
    (void)err;                                                                                      \
    return unary_run(g, n, rt, ctx, op_##name);                                                      \
  }
QI_MATH_UNARY_OPS(QI_UNARY_WRAPPERS)
