/* Where and Expand: element moves with broadcasting, for any fixed-size dtype (copied as raw bytes). */
#include <stdint.h>
#include <string.h>

#include "engine/ops/math_ops.h"

qi_status qi_math_Where_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_math_check_arity(g, n, 3, 3, err));
  const qi_tensor *ins[3] = {qi_node_in(g, n, 0), qi_node_in(g, n, 1), qi_node_in(g, n, 2)};
  if (ins[0]->dtype != QINFER_DTYPE_BOOL)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "condition has unsupported dtype %s",
                        qi_dtype_name(ins[0]->dtype));
  const size_t es = qi_dtype_size(ins[1]->dtype);
  if (ins[1]->dtype != ins[2]->dtype || !(es == 1 || es == 2 || es == 4 || es == 8))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype combination %s and %s",
                        qi_dtype_name(ins[1]->dtype), qi_dtype_name(ins[2]->dtype));
  int rank;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qi_broadcast_tensors(n, 3, ins, &rank, dims, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), ins[1]->dtype, rank, dims);
  return QINFER_OK;
}

typedef struct where_task {
  qi_bcast bc;
  size_t elem_size;
  const uint8_t *cond;
  const void *x, *y;
  void *out;
} where_task;

#define QI_WHERE_RUNS(T)                                                                                \
  do {                                                                                                  \
    qi_bcast_cursor c;                                                                                  \
    int64_t len;                                                                                        \
    for (qi_bcast_seek(bc, &c, (int64_t)begin); c.pos < (int64_t)end; qi_bcast_advance(bc, &c, len)) { \
      len = qi_bcast_run_len(bc, &c, (int64_t)end);                                                     \
      const uint8_t *pc = t->cond + c.off[0];                                                           \
      const T *px = (const T *)t->x + c.off[1], *py = (const T *)t->y + c.off[2];                       \
      T *po = (T *)t->out + c.pos;                                                                      \
      const int64_t ic = bc->inc[0], ix = bc->inc[1], iy = bc->inc[2];                                  \
      for (int64_t i = 0; i < len; i++) po[i] = pc[i * ic] ? px[i * ix] : py[i * iy];                   \
    }                                                                                                   \
  } while (0)

static void where_chunk(void *arg, size_t begin, size_t end) {
  const where_task *t = arg;
  const qi_bcast *bc = &t->bc;
  switch (t->elem_size) {
    case 1: QI_WHERE_RUNS(uint8_t); break;
    case 2: QI_WHERE_RUNS(uint16_t); break;
    case 4: QI_WHERE_RUNS(uint32_t); break;
    default: QI_WHERE_RUNS(uint64_t); break;
  }
}

qi_status qi_math_Where_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *ins[3] = {qi_node_in(g, n, 0), qi_node_in(g, n, 1), qi_node_in(g, n, 2)};
  qi_tensor *out = qi_node_out(g, n, 0);
  where_task t = {.elem_size = qi_dtype_size(out->dtype), .cond = ins[0]->data, .x = ins[1]->data,
                  .y = ins[2]->data, .out = out->data};
  qi_bcast_init_tensors(&t.bc, out, 3, ins);
  qi_parallel_for(qi_math_pool(ctx), (size_t)t.bc.numel, QI_MATH_GRAIN_CHEAP, where_chunk, &t);
  return QINFER_OK;
}

qi_status qi_math_Expand_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_math_check_arity(g, n, 2, 2, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *shape = qi_node_in(g, n, 1);
  if (qi_dtype_size(x->dtype) == 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(x->dtype));
  if (shape->dtype != QINFER_DTYPE_INT64 || shape->rank != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "shape must be a 1-D int64 tensor");
  if (!(shape->flags & QI_TF_CONST) || !shape->data) return qi_require_value_fail(n, shape, "shape", err);
  const int64_t count = shape->dims[0];
  if (count > QI_MAX_RANK)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "rank %lld exceeds %d", (long long)count, QI_MAX_RANK);
  int64_t target[QI_MAX_RANK];
  if (count) memcpy(target, shape->data, sizeof(int64_t) * (size_t)count);
  for (int64_t i = 0; i < count; i++)
    if (target[i] < 0)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "negative dimension %lld", (long long)target[i]);
  int rank;
  int64_t dims[QI_MAX_RANK];
  QI_CHECK(qi_broadcast_shape(n, x->rank, x->dims, (int)count, target, &rank, dims, err));
  qi_tensor_set_shape(qi_node_out(g, n, 0), x->dtype, rank, dims);
  return QINFER_OK;
}

typedef struct expand_task {
  qi_bcast bc;
  size_t elem_size;
  const void *x;
  void *y;
} expand_task;

static void expand_chunk(void *arg, size_t begin, size_t end) {
  const expand_task *t = arg;
  qi_bcast_copy(&t->bc, t->elem_size, t->x, t->y, (int64_t)begin, (int64_t)end);
}

qi_status qi_math_Expand_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  expand_task t = {.elem_size = qi_dtype_size(y->dtype), .x = x->data, .y = y->data};
  qi_bcast_init_tensors(&t.bc, y, 1, &x);
  qi_parallel_for(qi_math_pool(ctx), (size_t)t.bc.numel, QI_MATH_GRAIN_CHEAP, expand_chunk, &t);
  return QINFER_OK;
}
