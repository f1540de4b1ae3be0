/* Small graph-building harness for the tensor-op unit tests: one node per graph, run through the op's
 * infer / prepare / run / release the way a session would, with output buffers owned by the graph. */
#ifndef QI_TEST_OPS_TENSOR_UTIL_H
#define QI_TEST_OPS_TENSOR_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "engine/op.h"
#include "node_harness.h"
#include "test_util.h"

static inline const qi_op *tt_find(const char *type) {
  for (const qi_op *op = qi_ops_tensor; op->op_type; op++)
    if (strcmp(op->op_type, type) == 0) return op;
  return NULL;
}

/* A constant tensor holding a copy of data. */
static inline int tt_const(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  int t = qi_graph_add_tensor(g, name);
  qi_error err;
  if (qi_tensor_set_const_copy(&g->tensors[t], dtype, rank, dims, data, &err) != QINFER_OK) abort();
  return t;
}

static inline int tt_const_i64(qi_graph *g, const char *name, int count, const int64_t *vals) {
  int64_t d = count;
  return tt_const(g, name, QINFER_DTYPE_INT64, 1, &d, vals);
}

/* A non-constant input whose data (owned by the caller) is read at run time. */
static inline int tt_input(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  int t = qi_graph_add_tensor(g, name);
  qi_tensor_set_shape(&g->tensors[t], dtype, rank, dims);
  g->tensors[t].flags |= QI_TF_INPUT;
  g->tensors[t].data = (void *)data;
  return t;
}

static inline int tt_out(qi_graph *g, const char *name) { return qi_graph_add_tensor(g, name); }

static inline int tt_node(qi_graph *g, const char *type, int opset, const int *ins, int nin, const int *outs, int nout) {
  int n = qi_graph_add_node(g, type, "", ins, nin, outs, nout);
  g->nodes[n].opset = opset;
  free(g->nodes[n].name);
  g->nodes[n].name = strdup("n0");
  return n;
}

static inline void tt_attr_int(qi_graph *g, int n, const char *name, int64_t v) { th_attr_int(g, n, name, v); }
static inline void tt_attr_float(qi_graph *g, int n, const char *name, float v) { th_attr_float(g, n, name, v); }
static inline void tt_attr_ints(qi_graph *g, int n, const char *name, int count, const int64_t *v) { th_attr_ints(g, n, name, count, v); }
static inline void tt_attr_floats(qi_graph *g, int n, const char *name, int count, const float *v) { th_attr_floats(g, n, name, count, v); }
static inline void tt_attr_string(qi_graph *g, int n, const char *name, const char *v) { th_attr_string(g, n, name, v); }
/* A TENSOR attribute: an unnamed constant tensor of the graph. */
static inline void tt_attr_tensor(qi_graph *g, int n, const char *name, int dtype, int rank, const int64_t *dims,
                           const void *data) {
  int t = tt_const(g, "", dtype, rank, dims, data);
  qi_node_add_attr(g, n, name, QI_ATTR_TENSOR)->tensor = t;
}

/* infer only */
static inline qi_status tt_infer(qi_graph *g, int node, qi_error *err) {
  qi_node *n = &g->nodes[node];
  n->op = tt_find(n->op_type);
  if (!n->op) abort();
  qi_error_clear(err);
  return n->op->infer(g, n, err);
}

/* infer, allocate outputs afresh (poisoned: every output byte must be written), prepare, run, release. */
static inline qi_status tt_run_pool(qi_graph *g, int node, qi_threadpool *pool, qi_error *err) {
  qi_status s = tt_infer(g, node, err);
  if (s != QINFER_OK) return s;
  return th_run_inferred(g, &g->nodes[node], pool, (th_run_options){.fill = 0xA5, .fresh_outputs = true}, err);
}

static inline qi_status tt_run(qi_graph *g, int node, qi_error *err) { return tt_run_pool(g, node, NULL, err); }

static inline const qi_tensor *tt_t(qi_graph *g, int t) { return &g->tensors[t]; }

static inline bool tt_shape_is(qi_graph *g, int t, int rank, const int64_t *dims) {
  const qi_tensor *x = &g->tensors[t];
  if (x->rank != rank) return false;
  for (int i = 0; i < rank; i++)
    if (x->dims[i] != dims[i]) return false;
  return true;
}

/* deterministic pseudo-random numbers */
static uint32_t tt_rng = 12345u;
static inline uint32_t tt_rand(void) {
  tt_rng = tt_rng * 1664525u + 1013904223u;
  return tt_rng >> 8;
}

/* Row-major flat index of pos in dims. */
static inline int64_t tt_flat(int rank, const int64_t *dims, const int64_t *pos) {
  int64_t f = 0;
  for (int i = 0; i < rank; i++) f = f * dims[i] + pos[i];
  return f;
}
/* Advances pos through dims; false after the last position. */
static inline bool tt_next(int rank, const int64_t *dims, int64_t *pos) {
  for (int i = rank - 1; i >= 0; i--) {
    if (++pos[i] < dims[i]) return true;
    pos[i] = 0;
  }
  return false;
}

#endif /* QI_TEST_OPS_TENSOR_UTIL_H */
