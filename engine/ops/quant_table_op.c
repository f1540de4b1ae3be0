/* QLinearTable (domain ai.qinfer, internal): Y[i] = Table[X[i]] on bytes. X is uint8 / int8; Table is a
 * constant of 256 uint8 / int8 values indexed by X's stored byte (for int8, byte b is the value (int8_t)b); Y
 * has Table's type and X's shape. The QDQ pass emits it for any chain of elementwise float ops with a single
 * quantized input and a quantized output (docs/quantization.md, "Lookup tables"): the table holds the whole
 * chain's values, computed once at session creation, so the chain costs one byte lookup per element. */
#include <string.h>

#include "engine/op.h"
#include "kernels/qu8-lut/qu8-lut.h"

static bool is_byte_type(int dtype) { return dtype == QINFER_DTYPE_UINT8 || dtype == QINFER_DTYPE_INT8; }

static qi_status table_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *t = qi_node_in(g, n, 1);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (n->n_inputs != 2 || !x || !t || !y)
    return qi_fail(err, QINFER_ERR_INVALID_MODEL, "QLinearTable node '%s': expects inputs X, Table and output Y",
                   n->name);
  if (!is_byte_type(x->dtype) || !is_byte_type(t->dtype))
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "QLinearTable node '%s': X and Table must be uint8 / int8", n->name);
  if (!(t->flags & QI_TF_CONST) || qi_tensor_numel(t) != 256)
    return qi_fail(err, QINFER_ERR_INVALID_MODEL, "QLinearTable node '%s': Table must be a constant of 256 values",
                   n->name);
  qi_tensor_set_shape(y, t->dtype, x->rank, x->dims);
  return QINFER_OK;
}

typedef struct table_task {
  qi_qu8_lut_ukernel_fn lut;
  const uint8_t *x, *table;
  uint8_t *y;
} table_task;

static void table_chunk(void *arg, size_t begin, size_t end) {
  const table_task *t = arg;
  t->lut(end - begin, t->x + begin, t->y + begin, t->table);
}

static qi_status table_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0), *t = qi_node_in(g, n, 1);
  table_task task = {qi_qu8_lut_config_get((qi_isa)g->isa)->lut, x->data, t->data, qi_node_out(g, n, 0)->data};
  const size_t count = (size_t)qi_tensor_numel(x);
  qi_parallel_for(count >= 65536 ? ctx->pool : NULL, count, 16384, table_chunk, &task);
  return QINFER_OK;
}

const qi_op qi_ops_quant_table[] = {
    {"QLinearTable", "ai.qinfer", table_infer, NULL, table_run, NULL, 0},
    {0},
};
