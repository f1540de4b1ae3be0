/* com.microsoft QLinearWhere: condition (bool), X, x_scale, x_zero_point, Y, y_scale, y_zero_point, z_scale,
 * z_zero_point (per tensor; absent zero points are 0): Z = condition ? requant(X) : requant(Y) with numpy
 * broadcasting of the three. X and Y are uint8 / int8 of one type, Z has it too. Each of X and Y goes to Z's
 * parameters through a 256-entry table, QuantizeLinear(DequantizeLinear(q)) computed as ONNX Runtime builds it
 * (qi_qparam1_requant_table): a float multiply, a float division, half-even rounding, so the bytes are ONNX
 * Runtime's. Tables of constant parameters are built once in prepare, others on every run. */
#include <stdlib.h>

#include "engine/broadcast.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_elem.h"
#include "engine/ops/quant_transformer.h"

enum { QW_COND = 0, QW_X = 1, QW_Y = 4, QW_Z_SCALE = 7 };

typedef struct qwhere_state {
  uint8_t table[2][256]; /* X's and Y's bytes -> Z's */
  bool built;            /* from constant parameters, in prepare */
} qwhere_state;

static qi_status qwhere_params(qi_graph *g, const qi_node *n, bool read, qi_qparam1 p[3], qi_error *err) {
  const int dt = qi_node_in(g, n, QW_X)->dtype;
  QI_CHECK(qi_qparam1_get(g, n, QW_X + 1, QW_X + 2, dt, read, &p[0], err));
  QI_CHECK(qi_qparam1_get(g, n, QW_Y + 1, QW_Y + 2, dt, read, &p[1], err));
  return qi_qparam1_get(g, n, QW_Z_SCALE, QW_Z_SCALE + 1, dt, read, &p[2], err);
}

static bool qwhere_params_const(qi_graph *g, const qi_node *n) {
  return qi_qparams_all_const(g, n, 1u << QW_COND | 1u << QW_X | 1u << QW_Y);
}

qi_status qi_qwhere_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs != 9)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "expected 9 inputs (condition, X, x_scale, x_zero_point, Y, y_scale, y_zero_point, z_scale, "
                        "z_zero_point), got %d", n->n_inputs);
  const qi_tensor *c = qi_node_in(g, n, QW_COND), *x = qi_node_in(g, n, QW_X), *y = qi_node_in(g, n, QW_Y);
  qi_tensor *z = qi_node_out(g, n, 0);
  if (!c || !x || !y || !z) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "condition, X, Y and Z are required");
  if (c->dtype != QINFER_DTYPE_BOOL)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "condition '%s' has type %s; bool expected", c->name,
                        qi_dtype_name(c->dtype));
  if ((x->dtype != QINFER_DTYPE_UINT8 && x->dtype != QINFER_DTYPE_INT8) || y->dtype != x->dtype)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "X and Y have types %s and %s; uint8 or int8 (both the same) expected",
                        qi_dtype_name(x->dtype), qi_dtype_name(y->dtype));
  qi_qparam1 p[3];
  QI_CHECK(qwhere_params(g, n, qwhere_params_const(g, n), p, err));
  const qi_tensor *ins[3] = {c, x, y};
  int rank;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qi_broadcast_tensors(n, 3, ins, &rank, dims, err));
  qi_tensor_set_shape(z, x->dtype, rank, dims);
  return QINFER_OK;
}

static qi_status qwhere_tables(qi_graph *g, const qi_node *n, qwhere_state *s, qi_error *err) {
  qi_qparam1 p[3];
  QI_CHECK(qwhere_params(g, n, true, p, err));
  const int dt = qi_node_in(g, n, QW_X)->dtype;
  int32_t qmin, qmax;
  qi_qtype_range(dt, &qmin, &qmax);
  for (int k = 0; k < 2; k++) qi_qparam1_requant_table(s->table[k], dt == QINFER_DTYPE_INT8, p[k], p[2], qmin, qmax);
  return QINFER_OK;
}

qi_status qi_qwhere_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qwhere_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  if (qwhere_params_const(g, n)) {
    QI_CHECK(qwhere_tables(g, n, s, err));
    s->built = true;
  }
  return QINFER_OK;
}

typedef struct qwhere_task {
  qi_bcast bc;
  const qwhere_state *s;
  const uint8_t *c, *x, *y;
  uint8_t *z;
} qwhere_task;

static void qwhere_chunk(void *arg, size_t begin, size_t end) {
  const qwhere_task *t = arg;
  const qi_bcast *bc = &t->bc;
  const uint8_t *tx = t->s->table[0], *ty = t->s->table[1];
  qi_bcast_cursor cur;
  int64_t len;
  for (qi_bcast_seek(bc, &cur, (int64_t)begin); cur.pos < (int64_t)end; qi_bcast_advance(bc, &cur, len)) {
    len = qi_bcast_run_len(bc, &cur, (int64_t)end);
    const uint8_t *c = t->c + cur.off[0], *x = t->x + cur.off[1], *y = t->y + cur.off[2];
    uint8_t *z = t->z + cur.pos;
    for (int64_t k = 0; k < len; k++)
      z[k] = c[k * bc->inc[0]] ? tx[x[k * bc->inc[1]]] : ty[y[k * bc->inc[2]]];
  }
}

qi_status qi_qwhere_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  qwhere_state *s = rt->state;
  if (!s->built) QI_CHECK(qwhere_tables(g, n, s, err)); /* parameters computed at run time */
  const qi_tensor *ins[3] = {qi_node_in(g, n, QW_COND), qi_node_in(g, n, QW_X), qi_node_in(g, n, QW_Y)};
  qi_tensor *z = qi_node_out(g, n, 0);
  qwhere_task t = {.s = s, .c = ins[0]->data, .x = ins[1]->data, .y = ins[2]->data, .z = z->data};
  qi_bcast_init_tensors(&t.bc, z, 3, ins);
  if (t.bc.numel == 0) return QINFER_OK;
  qi_parallel_for(ctx ? ctx->pool : NULL, (size_t)t.bc.numel, QI_QUANT_GRAIN, qwhere_chunk, &t);
  return QINFER_OK;
}
