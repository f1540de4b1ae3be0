/* Comparisons (float, int32, int64; Equal also bool), logic (bool), Not, IsNaN, IsInf. Bool tensors hold
 * one byte per element, 0 or 1. */
#include <math.h>
#include <stdint.h>

#include "engine/ops/math_ops.h"

enum { op_Equal, op_Less, op_Greater, op_LessOrEqual, op_GreaterOrEqual, op_And, op_Or, op_Xor };

static qi_status compare_infer(qi_graph *g, qi_node *n, qi_error *err, int op) {
  QI_CHECK(qi_math_check_arity(g, n, 2, 2, err));
  const qi_tensor *ins[2] = {qi_node_in(g, n, 0), qi_node_in(g, n, 1)};
  qi_tensor view;
  if (n->opset < 7) QI_CHECK(qi_math_legacy_broadcast(n, ins[0], &ins[1], &view, err));
  const int dt = ins[0]->dtype;
  const bool logic = op >= op_And;
  const bool ok = logic ? dt == QINFER_DTYPE_BOOL
                        : dt == QINFER_DTYPE_FLOAT || dt == QINFER_DTYPE_INT32 || dt == QINFER_DTYPE_INT64 ||
                              (op == op_Equal && dt == QINFER_DTYPE_BOOL);
  if (!ok) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(dt));
  if (ins[1]->dtype != dt)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype combination %s and %s", qi_dtype_name(dt), qi_dtype_name(ins[1]->dtype));
  int rank;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qi_broadcast_tensors(n, 2, ins, &rank, dims, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), QINFER_DTYPE_BOOL, rank, dims);
  return QINFER_OK;
}

typedef struct compare_task {
  qi_bcast bc;
  int op, dtype;
  const void *a, *b;
  uint8_t *y;
} compare_task;

#define QI_COMPARE_RUNS(T, EXPR)                                                                        \
  do {                                                                                                  \
    qi_bcast_cursor c;                                                                                  \
    int64_t len;                                                                                        \
    for (qi_bcast_seek(bc, &c, (int64_t)begin); c.pos < (int64_t)end; qi_bcast_advance(bc, &c, len)) { \
      len = qi_bcast_run_len(bc, &c, (int64_t)end);                                                     \
      const T *pa = (const T *)t->a + c.off[0], *pb = (const T *)t->b + c.off[1];                       \
      uint8_t *py = t->y + c.pos;                                                                       \
      const int64_t ia = bc->inc[0], ib = bc->inc[1];                                                   \
      for (int64_t i = 0; i < len; i++) {                                                               \
        const T x = pa[i * ia], z = pb[i * ib];                                                         \
        py[i] = (uint8_t)(EXPR);                                                                        \
      }                                                                                                 \
    }                                                                                                   \
  } while (0)

#define QI_COMPARE_TYPE(T)                                         \
  static void compare_##T(const compare_task *t, size_t begin, size_t end) { \
    const qi_bcast *bc = &t->bc;                                   \
    switch (t->op) {                                               \
      case op_Equal: QI_COMPARE_RUNS(T, x == z); break;            \
      case op_Less: QI_COMPARE_RUNS(T, x < z); break;              \
      case op_Greater: QI_COMPARE_RUNS(T, x > z); break;           \
      case op_LessOrEqual: QI_COMPARE_RUNS(T, x <= z); break;      \
      case op_GreaterOrEqual: QI_COMPARE_RUNS(T, x >= z); break;   \
    }                                                              \
  }
QI_COMPARE_TYPE(float)
QI_COMPARE_TYPE(int32_t)
QI_COMPARE_TYPE(int64_t)

static void logic_bool(const compare_task *t, size_t begin, size_t end) {
  const qi_bcast *bc = &t->bc;
  switch (t->op) {
    case op_Equal: QI_COMPARE_RUNS(uint8_t, (x != 0) == (z != 0)); break;
    case op_And: QI_COMPARE_RUNS(uint8_t, x && z); break;
    case op_Or: QI_COMPARE_RUNS(uint8_t, x || z); break;
    case op_Xor: QI_COMPARE_RUNS(uint8_t, (x != 0) != (z != 0)); break;
  }
}

static void compare_chunk(void *arg, size_t begin, size_t end) {
  const compare_task *t = arg;
  switch (t->dtype) {
    case QINFER_DTYPE_FLOAT: compare_float(t, begin, end); break;
    case QINFER_DTYPE_INT32: compare_int32_t(t, begin, end); break;
    case QINFER_DTYPE_INT64: compare_int64_t(t, begin, end); break;
    default: logic_bool(t, begin, end); break;
  }
}

static qi_status compare_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, int op) {
  const qi_tensor *ins[2] = {qi_node_in(g, n, 0), qi_node_in(g, n, 1)};
  qi_tensor view; /* infer accepted B: the legacy view cannot fail here */
  if (n->opset < 7) QI_CHECK(qi_math_legacy_broadcast(n, ins[0], &ins[1], &view, NULL));
  qi_tensor *y = qi_node_out(g, n, 0);
  compare_task t = {.op = op, .dtype = ins[0]->dtype, .a = ins[0]->data, .b = ins[1]->data, .y = y->data};
  qi_bcast_init_tensors(&t.bc, y, 2, ins);
  qi_parallel_for(qi_math_pool(ctx), (size_t)t.bc.numel, QI_MATH_GRAIN_CHEAP, compare_chunk, &t);
  return QINFER_OK;
}

#define QI_COMPARE_WRAPPERS(name, flags)                                                            \
  qi_status qi_math_##name##_infer(qi_graph *g, qi_node *n, qi_error *err) {                       \
    return compare_infer(g, n, err, op_##name);                                                     \
  }                                                                                                 \
  qi_status qi_math_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) { \
    (void)err;                                                                                      \
    return compare_run(g, n, ctx, op_##name);                                                       \
  }
QI_COMPARE_WRAPPERS(Equal, 0)
QI_COMPARE_WRAPPERS(Less, 0)
QI_COMPARE_WRAPPERS(Greater, 0)
QI_COMPARE_WRAPPERS(LessOrEqual, 0)
QI_COMPARE_WRAPPERS(GreaterOrEqual, 0)
QI_COMPARE_WRAPPERS(And, 0)
QI_COMPARE_WRAPPERS(Or, 0)
QI_COMPARE_WRAPPERS(Xor, 0)

/* ---- unary predicates: Not (bool), IsNaN and IsInf (float) ---- */

static qi_status predicate_infer(qi_graph *g, qi_node *n, qi_error *err, int in_dtype) {
  QI_CHECK(qi_math_check_arity(g, n, 1, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  if (x->dtype != in_dtype)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(x->dtype));
  qi_tensor_set_shape(qi_node_out(g, n, 0), QINFER_DTYPE_BOOL, x->rank, x->dims);
  return QINFER_OK;
}

qi_status qi_math_Not_infer(qi_graph *g, qi_node *n, qi_error *err) {
  return predicate_infer(g, n, err, QINFER_DTYPE_BOOL);
}
qi_status qi_math_IsNaN_infer(qi_graph *g, qi_node *n, qi_error *err) {
  return predicate_infer(g, n, err, QINFER_DTYPE_FLOAT);
}
qi_status qi_math_IsInf_infer(qi_graph *g, qi_node *n, qi_error *err) {
  return predicate_infer(g, n, err, QINFER_DTYPE_FLOAT);
}

qi_status qi_math_Not_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const uint8_t *in = x->data;
  uint8_t *out = qi_node_out(g, n, 0)->data;
  const int64_t count = qi_tensor_numel(x);
  for (int64_t i = 0; i < count; i++) out[i] = !in[i];
  return QINFER_OK;
}

qi_status qi_math_IsNaN_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const float *in = x->data;
  uint8_t *out = qi_node_out(g, n, 0)->data;
  const int64_t count = qi_tensor_numel(x);
  for (int64_t i = 0; i < count; i++) out[i] = isnan(in[i]) != 0;
  return QINFER_OK;
}

qi_status qi_math_IsInf_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx, (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const float *in = x->data;
  uint8_t *out = qi_node_out(g, n, 0)->data;
  const bool pos = qi_attr_int(n, "detect_positive", 1) != 0, neg = qi_attr_int(n, "detect_negative", 1) != 0;
  const int64_t count = qi_tensor_numel(x);
  for (int64_t i = 0; i < count; i++) out[i] = isinf(in[i]) && (in[i] > 0 ? pos : neg);
  return QINFER_OK;
}
