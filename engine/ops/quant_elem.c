/* com.microsoft QLinearAdd, QLinearMul, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu and the internal
 * ai.qinfer QLinearLookup (a quantized unary function through a 256-entry table; attribute `function`).
 * uint8 or int8 tensors with per-tensor parameters; scales and zero points may be computed at run time
 * (checked on every run, at infer already when constant). docs/quantization.md has the arithmetic:
 *   QLinearAdd:    integer rescaling of each input (kernels/qu8-vadd), within one step of the exact sum
 *   QLinearMul:    (a - za) * (b - zb), requantized with (sa * sb) / sy (kernels/qu8-vmul, kernels/requant.h)
 *   QLinearConcat: each input requantized to the output's parameters with the requant rule (acc = q - zp_in,
 *                  scale s_in / s_out) through a table; inputs that already have them are copied
 *   lookups:       table[q] = QuantizeLinear(f(DequantizeLinear(q))) with qinfer's FP32 function
 * QLinearAdd / QLinearMul take numpy broadcasting and honour a fused clamp (rt->act.kind == QI_ACT_CLAMP) as a
 * narrower output range. Work is split over output elements; results do not depend on the split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/broadcast.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/math_ops.h"
#include "engine/ops/quant_elem.h"
#include "kernels/qu8-lut/qu8-lut.h"
#include "kernels/qu8-vadd/qu8-vadd.h"
#include "kernels/qu8-vmul/qu8-vmul.h"
#include "kernels/requant.h"

static bool is_q8(int dt) { return dt == QINFER_DTYPE_UINT8 || dt == QINFER_DTYPE_INT8; }
static qi_threadpool *pool_of(const qi_exec_ctx *ctx) { return ctx ? ctx->pool : NULL; }

/* Whether input slot i of n holds a scale or zero point (the others are data). */
static bool is_param_slot(const qi_node *n, int i) {
  if (strcmp(n->op_type, "QLinearConcat") == 0) return i < 2 || (i - 2) % 3 != 0;
  if (strcmp(n->op_type, "QLinearAdd") == 0 || strcmp(n->op_type, "QLinearMul") == 0) return i != 0 && i != 3;
  return i != 0;
}

/* Whether every scale and zero point of n is a constant (then they are checked at infer already). */
static bool params_const(qi_graph *g, const qi_node *n) {
  for (int i = 0; i < n->n_inputs; i++) {
    const qi_tensor *t = qi_node_in(g, n, i);
    if (t && is_param_slot(n, i) && !(t->flags & QI_TF_CONST)) return false;
  }
  return true;
}

/* Output range [qmin, qmax] of dtype narrowed by a fused clamp: quantization is monotonic, so the clamp's
 * bounds quantized with the output's parameters bound the quantized output. */
static qi_status out_range(const qi_node *n, const qi_act *act, int dtype, qi_qparam1 y, int32_t *qmin, int32_t *qmax,
                           qi_error *err) {
  qi_qtype_range(dtype, qmin, qmax);
  if (act->kind == QI_ACT_NONE) return QINFER_OK;
  if (act->kind != QI_ACT_CLAMP)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused clamp is supported on a quantized output");
  const int32_t lo = qi_quantize_f32(act->min, y.scale, y.zero_point, *qmin, *qmax);
  const int32_t hi = qi_quantize_f32(act->max, y.scale, y.zero_point, *qmin, *qmax);
  *qmin = lo > *qmin ? lo : *qmin;
  *qmax = hi < *qmax ? hi : *qmax;
  if (*qmax < *qmin) *qmax = *qmin;
  return QINFER_OK;
}

/* ---- QLinearAdd, QLinearMul: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp ---- */

static qi_status binary_params(qi_graph *g, const qi_node *n, bool read, qi_qparam1 p[3], qi_error *err) {
  const int dt = qi_node_in(g, n, 0)->dtype;
  QI_CHECK(qi_qparam1_get(g, n, 1, 2, dt, read, &p[0], err));
  QI_CHECK(qi_qparam1_get(g, n, 4, 5, dt, read, &p[1], err));
  return qi_qparam1_get(g, n, 6, 7, dt, read, &p[2], err);
}

static qi_status binary_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs < 7 || n->n_inputs > 8)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 7 or 8 inputs, got %d", n->n_inputs);
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 3);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!a || !b || !y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "A, B and C are required");
  if (!is_q8(a->dtype) || b->dtype != a->dtype)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "inputs of types %s and %s; uint8 or int8 (both the same) expected",
                        qi_dtype_name(a->dtype), qi_dtype_name(b->dtype));
  qi_qparam1 p[3];
  QI_CHECK(binary_params(g, n, params_const(g, n), p, err));
  int rank;
  int64_t dims[QI_MAX_RANK];
  const qi_tensor *ins[2] = {a, b};
  QI_CHECK(qi_broadcast_tensors(n, 2, ins, &rank, dims, err));
  qi_tensor_set_shape(y, a->dtype, rank, dims);
  return QINFER_OK;
}

typedef struct binary_task {
  qi_bcast bc;
  bool mul;
  const uint8_t *a, *b;
  uint8_t *y;
  qi_qu8_add_params add[2]; /* [1]: a and b swapped, for runs where a is the broadcast one */
  qi_qu8_mul_params mulp[2];
  const qi_qu8_vadd_config *kadd;
  const qi_qu8_vmul_config *kmul;
} binary_task;

static void binary_call(const binary_task *t, bool broadcast, int swap, size_t n, const uint8_t *a, const uint8_t *b,
                        uint8_t *y) {
  if (t->mul) (broadcast ? t->kmul->vmulc : t->kmul->vmul)(n, a, b, y, &t->mulp[swap]);
  else (broadcast ? t->kadd->vaddc : t->kadd->vadd)(n, a, b, y, &t->add[swap]);
}

static void binary_chunk(void *arg, size_t begin, size_t end) {
  const binary_task *t = arg;
  const qi_bcast *bc = &t->bc;
  qi_bcast_cursor c;
  int64_t len;
  for (qi_bcast_seek(bc, &c, (int64_t)begin); c.pos < (int64_t)end; qi_bcast_advance(bc, &c, len)) {
    len = qi_bcast_run_len(bc, &c, (int64_t)end);
    const uint8_t *a = t->a + c.off[0], *b = t->b + c.off[1];
    uint8_t *y = t->y + c.pos;
    if (bc->inc[0] && bc->inc[1]) binary_call(t, false, 0, (size_t)len, a, b, y);
    else if (bc->inc[0]) binary_call(t, true, 0, (size_t)len, a, b, y);
    else if (bc->inc[1]) binary_call(t, true, 1, (size_t)len, b, a, y);
    else
      for (int64_t i = 0; i < len; i++) binary_call(t, true, 0, 1, a, b, y + i);
  }
}

static qi_status binary_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, bool mul, qi_error *err) {
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 3);
  qi_tensor *y = qi_node_out(g, n, 0);
  qi_qparam1 p[3];
  QI_CHECK(binary_params(g, n, true, p, err));
  int32_t qmin, qmax;
  QI_CHECK(out_range(n, &rt->act, y->dtype, p[2], &qmin, &qmax, err));
  const int s8 = y->dtype == QINFER_DTYPE_INT8;
  binary_task t = {.mul = mul, .a = a->data, .b = b->data, .y = y->data};
  if (mul) {
    const float scale = (p[0].scale * p[1].scale) / p[2].scale;
    if (!isfinite(scale) || scale <= 0.0f)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                          "the output scale (A_scale * B_scale) / C_scale = (%g * %g) / %g is not a finite positive float",
                          (double)p[0].scale, (double)p[1].scale, (double)p[2].scale);
    for (int s = 0; s < 2; s++)
    t.kmul = qi_qu8_vmul_config_get(rt->isa);
    for (int s = 0; s < 2; s++)
      t.kmul->init_params(&t.mulp[s], t.kmul->x_domain, p[s].scale, p[s].zero_point, p[1 - s].scale,
                          p[1 - s].zero_point, p[2].scale, p[2].zero_point, qmin, qmax, s8);
  } else {
    t.kadd = qi_qu8_vadd_config_get(rt->isa);
    for (int s = 0; s < 2; s++)
      t.kadd->init_params(&t.add[s], p[0].scale, p[0].zero_point, p[1].scale, p[1].zero_point, p[2].scale,
                          p[2].zero_point, qmin, qmax, s8, rt->act.kind != QI_ACT_NONE, s);
  }
  const qi_tensor *ins[2] = {a, b};
  qi_bcast_init_tensors(&t.bc, y, 2, ins);
  if (t.bc.numel == 0) return QINFER_OK;
  qi_parallel_for(pool_of(ctx), (size_t)t.bc.numel, QI_QUANT_GRAIN, binary_chunk, &t);
  return QINFER_OK;
}

qi_status qi_quant_QLinearAdd_infer(qi_graph *g, qi_node *n, qi_error *err) { return binary_infer(g, n, err); }
qi_status qi_quant_QLinearMul_infer(qi_graph *g, qi_node *n, qi_error *err) { return binary_infer(g, n, err); }
/* The kernel binary_run uses most: the vector-vector one when neither operand is broadcast, else the one with a
 * fixed operand. */
static const char *binary_kernel(qi_graph *g, qi_node *n, qi_isa isa, bool mul) {
  const int64_t y = qi_tensor_numel(qi_node_out(g, n, 0));
  const bool full = qi_tensor_numel(qi_node_in(g, n, 0)) == y && qi_tensor_numel(qi_node_in(g, n, 3)) == y;
  if (mul) return full ? qi_qu8_vmul_config_get(isa)->vmul_name : qi_qu8_vmul_config_get(isa)->vmulc_name;
  return full ? qi_qu8_vadd_config_get(isa)->vadd_name : qi_qu8_vadd_config_get(isa)->vaddc_name;
}
qi_status qi_quant_QLinearAdd_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)err;
  rt->kernel = binary_kernel(g, n, rt->isa, false);
  return QINFER_OK;
}
qi_status qi_quant_QLinearMul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)err;
  rt->kernel = binary_kernel(g, n, rt->isa, true);
  return QINFER_OK;
}
qi_status qi_quant_QLinearAdd_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return binary_run(g, n, rt, ctx, false, err);
}
qi_status qi_quant_QLinearMul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return binary_run(g, n, rt, ctx, true, err);
}
void qi_quant_QLinearAdd_release(qi_node_rt *rt) { (void)rt; }
void qi_quant_QLinearMul_release(qi_node_rt *rt) { (void)rt; }

/* ---- QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input; attribute axis ---- */

typedef struct concat_state {
  int count;              /* inputs */
  bool *copy;             /* [count] input already has the output's parameters: copied */
  uint8_t (*tables)[256]; /* [count] requantization tables of the others */
  const uint8_t **x;      /* [count] input data of the current run */
  int64_t *row;           /* [count] bytes of input i per outer index */
  bool tables_built;      /* constant parameters: copy / tables made once at prepare */
} concat_state;

static qi_status concat_axis(const qi_node *n, const qi_tensor *x, int *axis, qi_error *err) {
  const qi_attr *at = qi_node_attr(n, "axis");
  if (!at) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute axis is required");
  const int64_t a = at->i < 0 ? at->i + x->rank : at->i;
  if (a < 0 || a >= x->rank)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld is out of range for rank %d", (long long)at->i,
                        x->rank);
  *axis = (int)a;
  return QINFER_OK;
}

qi_status qi_quant_QLinearConcat_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs < 5 || (n->n_inputs - 2) % 3 != 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, got %d inputs",
                        n->n_inputs);
  const qi_tensor *x0 = qi_node_in(g, n, 2);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!x0 || !y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 2 and the output are required");
  if (!is_q8(x0->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 or int8 expected", x0->name,
                        qi_dtype_name(x0->dtype));
  int axis = 0;
  QI_CHECK(concat_axis(n, x0, &axis, err));
  const bool read = params_const(g, n);
  qi_qparam1 p;
  QI_CHECK(qi_qparam1_get(g, n, 0, 1, x0->dtype, read, &p, err));
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 2; i < n->n_inputs; i += 3) {
    const qi_tensor *x = qi_node_in(g, n, i);
    if (!x) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
    if (x->dtype != x0->dtype)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "inputs '%s' (%s) and '%s' (%s) differ in type", x0->name,
                          qi_dtype_name(x0->dtype), x->name, qi_dtype_name(x->dtype));
    if (x->rank != x0->rank)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "inputs '%s' and '%s' differ in rank", x0->name, x->name);
    for (int d = 0; d < x->rank; d++)
      if (d != axis && x->dims[d] != x0->dims[d])
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "inputs '%s' and '%s' differ in dimension %d (%lld vs %lld)",
                            x0->name, x->name, d, (long long)x0->dims[d], (long long)x->dims[d]);
    dims[axis] += x->dims[axis];
    QI_CHECK(qi_qparam1_get(g, n, i + 1, i + 2, x0->dtype, read, &p, err));
  }
  qi_tensor_set_shape(y, x0->dtype, x0->rank, dims);
  return QINFER_OK;
}

void qi_quant_QLinearConcat_release(qi_node_rt *rt) {
  concat_state *s = rt->state;
  if (s) {
    free(s->copy);
    free(s->tables);
    free(s->x);
    free(s->row);
  }
  free(s);
  rt->state = NULL;
}

/* Which inputs are copied and the tables of the others, from the current parameters. */
static qi_status concat_tables(qi_graph *g, qi_node *n, concat_state *s, qi_error *err) {
  const int dtype = qi_node_out(g, n, 0)->dtype;
  qi_qparam1 yp, xp;
  QI_CHECK(qi_qparam1_get(g, n, 0, 1, dtype, true, &yp, err));
  int32_t qmin, qmax;
  qi_qtype_range(dtype, &qmin, &qmax);
  for (int i = 0; i < s->count; i++) {
    QI_CHECK(qi_qparam1_get(g, n, 3 + 3 * i, 4 + 3 * i, dtype, true, &xp, err));
    s->copy[i] = xp.scale == yp.scale && xp.zero_point == yp.zero_point;
    if (!s->copy[i]) qi_qparam1_requant_table(s->tables[i], dtype == QINFER_DTYPE_INT8, xp, yp, qmin, qmax);
  }
  return QINFER_OK;
}

qi_status qi_quant_QLinearConcat_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  concat_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->count = (n->n_inputs - 2) / 3;
  s->copy = calloc((size_t)s->count, sizeof *s->copy);
  s->tables = calloc((size_t)s->count, sizeof *s->tables);
  s->x = calloc((size_t)s->count, sizeof *s->x);
  s->row = calloc((size_t)s->count, sizeof *s->row);
  if (!s->copy || !s->tables || !s->x || !s->row)
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  if (params_const(g, n)) {
    QI_CHECK(concat_tables(g, n, s, err));
    s->tables_built = true;
  }
  return QINFER_OK;
}

typedef struct concat_task {
  const concat_state *s;
  const qi_qu8_lut_config *k;
  int64_t y_row;
  uint8_t *y;
} concat_task;

static void concat_chunk(void *arg, size_t begin, size_t end) {
  const concat_task *t = arg;
  const concat_state *s = t->s;
  for (size_t o = begin; o < end; o++) {
    uint8_t *y = t->y + (int64_t)o * t->y_row;
    for (int i = 0; i < s->count; i++) {
      const int64_t len = s->row[i];
      const uint8_t *x = s->x[i] + (int64_t)o * len;
      if (s->copy[i]) memcpy(y, x, (size_t)len);
      else t->k->lut((size_t)len, x, y, s->tables[i]);
      y += len;
    }
  }
}

qi_status qi_quant_QLinearConcat_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  concat_state *s = rt->state;
  qi_tensor *y = qi_node_out(g, n, 0);
  int axis = 0;
  QI_CHECK(concat_axis(n, y, &axis, err));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= y->dims[d];
  for (int d = axis + 1; d < y->rank; d++) inner *= y->dims[d];
  if (!s->tables_built) QI_CHECK(concat_tables(g, n, s, err)); /* parameters computed at run time */
  for (int i = 0; i < s->count; i++) {
    const qi_tensor *x = qi_node_in(g, n, 2 + 3 * i);
    s->x[i] = x->data;
    s->row[i] = x->dims[axis] * inner;
  }
  if (qi_tensor_numel(y) == 0) return QINFER_OK;
  concat_task t = {.s = s, .k = qi_qu8_lut_config_get(rt->isa), .y_row = y->dims[axis] * inner, .y = y->data};
  qi_parallel_for(pool_of(ctx), (size_t)outer, (size_t)(QI_QUANT_GRAIN / t.y_row + 1), concat_chunk, &t);
  return QINFER_OK;
}

/* ---- lookup-table ops: X, X_scale, X_zero_point, Y_scale, Y_zero_point ---- */

typedef struct lookup_state {
  qi_vunary_op op;
  qi_f32_unary_params fp;
  bool built; /* table holds the constant parameters' table */
  uint8_t table[256];
} lookup_state;

/* The function of a lookup node and its parameters: the math family's unary function of that name with the node's
 * attributes (ONNX defaults of the float op), or Identity. */
static qi_status lookup_function(const qi_node *n, qi_vunary_op *op, qi_f32_unary_params *fp, qi_error *err) {
  memset(fp, 0, sizeof *fp);
  const char *name = strcmp(n->op_type, "QLinearSigmoid") == 0     ? "Sigmoid"
                     : strcmp(n->op_type, "QLinearLeakyRelu") == 0 ? "LeakyRelu"
                                                                   : qi_attr_string(n, "function", NULL);
  if (!name) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute function is required");
  if (strcmp(name, "Identity") == 0) {
    *op = QI_VUNARY_COUNT;
    return QINFER_OK;
  }
  if (!qi_math_unary_function(n, name, op, fp))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "function '%s' is not supported", name);
  const char *approx = qi_attr_string(n, "approximate", "none");
  if (*op == QI_VUNARY_GELU && strcmp(approx, "none") != 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "unknown approximate '%s'", approx);
  return QINFER_OK;
}

static qi_status lookup_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs < 4 || n->n_inputs > 5)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 4 or 5 inputs, got %d", n->n_inputs);
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!x || !y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "X and Y are required");
  if (!is_q8(x->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 or int8 expected", x->name,
                        qi_dtype_name(x->dtype));
  qi_vunary_op op;
  qi_f32_unary_params fp;
  QI_CHECK(lookup_function(n, &op, &fp, err));
  qi_qparam1 p[2];
  QI_CHECK(qi_qparam1_get_xy(g, n, params_const(g, n), p, err));
  qi_tensor_set_shape(y, x->dtype, x->rank, x->dims);
  return QINFER_OK;
}

static void lookup_build(const qi_qu8_lut_config *k, lookup_state *s, int dtype, const qi_qparam1 p[2]) {
  int32_t qmin, qmax;
  qi_qtype_range(dtype, &qmin, &qmax);
  const bool s8 = dtype == QINFER_DTYPE_INT8;
  k->build(s->table, s->op, &s->fp, (qi_qu8_lut_side){s8, p[0].scale, p[0].zero_point},
           (qi_qu8_lut_side){s8, p[1].scale, p[1].zero_point}, qmin, qmax);
}

static qi_status lookup_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  lookup_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  QI_CHECK(lookup_function(n, &s->op, &s->fp, err));
  rt->kernel = qi_qu8_lut_config_get(rt->isa)->name;
  if (params_const(g, n)) {
    qi_qparam1 p[2];
    QI_CHECK(qi_qparam1_get_xy(g, n, true, p, err));
    lookup_build(qi_qu8_lut_config_get(rt->isa), s, qi_node_in(g, n, 0)->dtype, p);
    s->built = true;
  }
  return QINFER_OK;
}

typedef struct lut_task {
  const qi_qu8_lut_config *k;
  const uint8_t *x, *table;
  uint8_t *y;
} lut_task;

static void lut_chunk(void *arg, size_t begin, size_t end) {
  const lut_task *t = arg;
  t->k->lut(end - begin, t->x + begin, t->y + begin, t->table);
}

static qi_status lookup_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  lookup_state *s = rt->state;
  const qi_tensor *x = qi_node_in(g, n, 0);
  const qi_qu8_lut_config *k = qi_qu8_lut_config_get(rt->isa);
  if (!s->built) {
    qi_qparam1 p[2];
    QI_CHECK(qi_qparam1_get_xy(g, n, true, p, err));
    lookup_build(k, s, x->dtype, p);
  }
  lut_task t = {k, x->data, s->table, qi_node_out(g, n, 0)->data};
  qi_parallel_for(pool_of(ctx), (size_t)qi_tensor_numel(x), QI_QUANT_GRAIN, lut_chunk, &t);
  return QINFER_OK;
}

static void lookup_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

#define QI_LOOKUP_WRAPPERS(name)                                                                              \
  qi_status qi_quant_##name##_infer(qi_graph *g, qi_node *n, qi_error *err) { return lookup_infer(g, n, err); } \
  qi_status qi_quant_##name##_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) { return lookup_prepare(g, n, rt, err); } \
  qi_status qi_quant_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {           \
    return lookup_run(g, n, rt, ctx, err);                                                                      \
  }                                                                                                           \
  void qi_quant_##name##_release(qi_node_rt *rt) { lookup_release(rt); }
QI_LOOKUP_WRAPPERS(QLinearSigmoid)
QI_LOOKUP_WRAPPERS(QLinearLeakyRelu)
QI_LOOKUP_WRAPPERS(QLinearLookup)
