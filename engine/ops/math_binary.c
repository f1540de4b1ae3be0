/* Add, Sub, Mul, Div, Pow, Mod, PRelu and the variadic Max, Min, Sum, Mean, with ONNX (numpy) broadcasting
 * (PRelu before opset 7: a shared or per-channel slope, legacy_prelu_slope).
 * Float runs go through the f32-vbinary kernels, integer ones through qi_math_binary_generic. */
#include <string.h>

#include "engine/ops/math_ops.h"
#include "kernels/f32-vbinary/vbinary.h"

typedef struct binary_desc {
  const char *name;
  qi_math_binary_op op;
  qi_vbinary_op kernel;
  bool variadic;
  bool float_only;
  bool mean; /* Mean: Sum, then divide by the input count */
} binary_desc;

enum { op_Add, op_Sub, op_Mul, op_Div, op_Pow, op_Mod, op_PRelu, op_Max, op_Min, op_Sum, op_Mean };
static const binary_desc descs[] = {
    [op_Add] = {"Add", QI_MATH_ADD, QI_VBINARY_ADD, false, false, false},
    [op_Sub] = {"Sub", QI_MATH_SUB, QI_VBINARY_SUB, false, false, false},
    [op_Mul] = {"Mul", QI_MATH_MUL, QI_VBINARY_MUL, false, false, false},
    [op_Div] = {"Div", QI_MATH_DIV, QI_VBINARY_DIV, false, false, false},
    [op_Pow] = {"Pow", QI_MATH_POW, QI_VBINARY_POW, false, false, false},
    [op_Mod] = {"Mod", QI_MATH_MOD, QI_VBINARY_MOD, false, false, false},
    [op_PRelu] = {"PRelu", QI_MATH_PRELU, QI_VBINARY_PRELU, false, true, false},
    [op_Max] = {"Max", QI_MATH_MAX, QI_VBINARY_MAX, true, false, false},
    [op_Min] = {"Min", QI_MATH_MIN, QI_VBINARY_MIN, true, false, false},
    [op_Sum] = {"Sum", QI_MATH_ADD, QI_VBINARY_ADD, true, true, false},
    [op_Mean] = {"Mean", QI_MATH_ADD, QI_VBINARY_ADD, true, true, true},
};

static bool arith_dtype(int dt, bool float_only) {
  return dt == QINFER_DTYPE_FLOAT || (!float_only && (dt == QINFER_DTYPE_INT32 || dt == QINFER_DTYPE_INT64 ||
                                                      dt == QINFER_DTYPE_INT8 || dt == QINFER_DTYPE_UINT8));
}

/* PRelu before opset 7 does not broadcast: its slope is one value shared by every element, one value per channel
 * (a 1-D slope as long as X's dimension 1), or X's shape. A per-channel slope is seen as [C, 1, ..., 1] (view),
 * which numpy broadcasting applies along axis 1; *slope is pointed at the view then. Other slopes are refused. */
static qi_status legacy_prelu_slope(const qi_node *n, const qi_tensor *x, const qi_tensor **slope, qi_tensor *view,
                                    qi_error *err) {
  const qi_tensor *s = *slope;
  bool same = s->rank == x->rank;
  for (int d = 0; same && d < x->rank; d++) same = s->dims[d] == x->dims[d];
  if (qi_tensor_numel(s) == 1 || same) return QINFER_OK;
  if (s->rank == 1 && x->rank >= 2 && s->dims[0] == x->dims[1]) {
    *view = *s;
    view->rank = x->rank - 1;
    for (int d = 1; d < view->rank; d++) view->dims[d] = 1;
    *slope = view;
    return QINFER_OK;
  }
  char a[128], b[128];
  return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                      "PRelu-%d takes a slope of one value, one per channel (X's dimension 1) or X's shape %s, "
                      "not %s (broadcasting came with opset 7)",
                      n->opset, qi_shape_str(x->rank, x->dims, a, sizeof a),
                      qi_shape_str(s->rank, s->dims, b, sizeof b));
}

/* Input i of a binary op, or its view under the broadcasting rules of opsets before 7 (legacy_prelu_slope,
 * qi_math_legacy_broadcast). */
static qi_status operand(qi_graph *g, const qi_node *n, const binary_desc *d, int i, const qi_tensor **out,
                         qi_tensor *view, qi_error *err) {
  *out = qi_node_in(g, n, i);
  if (n->opset >= 7 || i != 1 || d->variadic) return QINFER_OK;
  if (d->op == QI_MATH_PRELU) return legacy_prelu_slope(n, qi_node_in(g, n, 0), out, view, err);
  if (d->op == QI_MATH_MOD) return QINFER_OK; /* Mod came with opset 10 */
  return qi_math_legacy_broadcast(n, qi_node_in(g, n, 0), out, view, err);
}

static qi_status binary_infer(qi_graph *g, qi_node *n, qi_error *err, const binary_desc *d) {
  QI_CHECK(qi_math_check_arity(g, n, d->variadic ? 1 : 2, d->variadic ? 64 : 2, err));
  const qi_tensor *ins[64] = {0};
  qi_tensor view;
  for (int i = 0; i < n->n_inputs; i++) QI_CHECK(operand(g, n, d, i, &ins[i], &view, err));
  const int dt = ins[0]->dtype;
  if (!arith_dtype(dt, d->float_only))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(dt));
  for (int i = 1; i < n->n_inputs; i++) {
    const int dti = ins[i]->dtype;
    if (d->op == QI_MATH_POW ? !arith_dtype(dti, false) : dti != dt)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype combination %s and %s", qi_dtype_name(dt), qi_dtype_name(dti));
  }
  if (d->op == QI_MATH_MOD && dt == QINFER_DTYPE_FLOAT && qi_attr_int(n, "fmod", 0) != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "fmod must be 1 for float inputs");
  int rank;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qi_broadcast_tensors(n, n->n_inputs, ins, &rank, dims, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), dt, rank, dims);
  return QINFER_OK;
}

typedef struct f32_binary_task {
  qi_bcast bc;
  const float *a, *b;
  float *y;
  const qi_f32_vbinary_config *kernels;
  const qi_act *act; /* fused activation applied to the output, or NULL */
} f32_binary_task;

static void f32_binary_chunk(void *arg, size_t begin, size_t end) {
  const f32_binary_task *t = arg;
  const qi_bcast *bc = &t->bc;
  qi_bcast_cursor c;
  int64_t len;
  for (qi_bcast_seek(bc, &c, (int64_t)begin); c.pos < (int64_t)end; qi_bcast_advance(bc, &c, len)) {
    len = qi_bcast_run_len(bc, &c, (int64_t)end);
    const float *a = t->a + c.off[0], *b = t->b + c.off[1];
    float *y = t->y + c.pos;
    if (bc->inc[0] && bc->inc[1]) {
      t->kernels->op((size_t)len, a, b, y);
    } else if (bc->inc[0]) {
      t->kernels->opc((size_t)len, a, b, y);
    } else if (bc->inc[1]) {
      t->kernels->ropc((size_t)len, b, a, y);
    } else { /* both operands fixed along the run: only for a one-element output */
      for (int64_t i = 0; i < len; i++) t->kernels->opc(1, a, b, y + i);
    }
  }
  if (t->act && t->act->kind) qi_apply_act_f32(t->act, t->y + begin, end - begin);
}

/* y = a op b, a and b broadcast to y's shape; y may alias a when a already has y's shape. */
static void f32_binary(const qi_exec_ctx *ctx, qi_isa isa, qi_vbinary_op op, const qi_tensor *a, const qi_tensor *b,
                       qi_tensor *y, const float *a_data, const qi_act *act) {
  f32_binary_task t = {.a = a_data, .b = b->data, .y = y->data, .act = act,
                       .kernels = qi_f32_vbinary_config_get(op, isa)};
  const qi_tensor *ins[2] = {a, b};
  qi_bcast_init_tensors(&t.bc, y, 2, ins);
  qi_parallel_for(qi_math_pool(ctx), (size_t)t.bc.numel, QI_MATH_GRAIN_CHEAP, f32_binary_chunk, &t);
}

static qi_status generic_binary(qi_math_binary_op op, const qi_tensor *a, const void *a_data, const qi_tensor *b,
                                qi_tensor *y, bool fmod, qi_error *err) {
  qi_bcast bc;
  const qi_tensor *ins[2] = {a, b};
  qi_bcast_init_tensors(&bc, y, 2, ins);
  return qi_math_binary_generic(op, &bc, a->dtype, a_data, b->dtype, b->data, y->data, fmod, err);
}

static void copy_broadcast(const qi_tensor *x, qi_tensor *y) {
  qi_bcast bc;
  qi_bcast_init_tensors(&bc, y, 1, &x);
  qi_bcast_copy(&bc, qi_dtype_size(y->dtype), x->data, y->data, 0, bc.numel);
}

static qi_status binary_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err,
                            const binary_desc *d) {
  qi_tensor *y = qi_node_out(g, n, 0);
  const qi_tensor *a = qi_node_in(g, n, 0);
  const bool is_float = y->dtype == QINFER_DTYPE_FLOAT;
  if (rt->act.kind && !is_float)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "fused activation on %s output", qi_dtype_name(y->dtype));
  if (qi_tensor_numel(y) == 0) return QINFER_OK;
  const bool fmod = qi_attr_int(n, "fmod", 0) != 0;
  if (n->n_inputs == 1) {
    copy_broadcast(a, y);
    if (rt->act.kind) qi_apply_act_f32(&rt->act, y->data, (size_t)qi_tensor_numel(y));
    return QINFER_OK;
  }
  /* Variadic ops fold inputs 2.. into the output in place: y = (in0 op in1) op in2 ... */
  const void *acc = a->data;
  const qi_tensor *acc_t = a;
  for (int i = 1; i < n->n_inputs; i++) {
    const qi_tensor *b;
    qi_tensor view;
    QI_CHECK(operand(g, n, d, i, &b, &view, err));
    const bool last = i == n->n_inputs - 1;
    if (is_float && b->dtype == QINFER_DTYPE_FLOAT)
      f32_binary(ctx, rt->isa, d->kernel, acc_t, b, y, acc, last && !d->mean ? &rt->act : NULL);
    else
      QI_CHECK(generic_binary(d->op, acc_t, acc, b, y, fmod, err));
    acc = y->data;
    acc_t = y;
  }
  if (d->mean) {
    const float count = (float)n->n_inputs;
    const int ranks[2] = {y->rank, 0}; /* the count is a rank-0 operand */
    const int64_t *dims[2] = {y->dims, NULL};
    f32_binary_task t = {.a = y->data, .b = &count, .y = y->data, .act = &rt->act,
                         .kernels = qi_f32_vbinary_config_get(QI_VBINARY_DIV, rt->isa)};
    qi_bcast_init(&t.bc, y->rank, y->dims, 2, ranks, dims);
    qi_parallel_for(qi_math_pool(ctx), (size_t)t.bc.numel, QI_MATH_GRAIN_CHEAP, f32_binary_chunk, &t);
  }
  return QINFER_OK;
}

bool qi_math_binary_describe(const qi_node *n, qi_math_binary_op *op) {
  if (n->domain[0]) return false;
  for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
    if (strcmp(descs[i].name, n->op_type) == 0 && !descs[i].mean) {
      *op = descs[i].op;
      return true;
    }
  return false;
}

#define QI_BINARY_WRAPPERS(name)                                                                    \
  qi_status qi_math_##name##_infer(qi_graph *g, qi_node *n, qi_error *err) {                       \
    return binary_infer(g, n, err, &descs[op_##name]);                                      \
  }                                                                                                 \
  qi_status qi_math_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) { \
    return binary_run(g, n, rt, ctx, err, &descs[op_##name]);                                 \
  }
QI_MATH_BINARY_OPS(QI_BINARY_WRAPPERS)
