/* Small graph-building harness for the tensor-op unit tests: one node per graph, run through the op's
 * infer / prepare / run / release the way a session would, with output buffers owned by the graph. */
#ifndef QI_TEST_OPS_TENSOR_UTIL_H
#define QI_TEST_OPS_TENSOR_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "engine/ir.h"
#include "engine/op.h"
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

static inline void tt_attr_int(qi_graph *g, int n, const char *name, int64_t v) {
  qi_node_add_attr(g, n, name, QI_ATTR_INT)->i = v;
}
static inline void tt_attr_float(qi_graph *g, int n, const char *name, float v) {
  qi_node_add_attr(g, n, name, QI_ATTR_FLOAT)->f = v;
}
static inline void tt_attr_ints(qi_graph *g, int n, const char *name, int count, const int64_t *v) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_INTS);
  a->n = count;
  a->ints = malloc(sizeof(int64_t) * (size_t)(count ? count : 1));
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
}
static inline void tt_attr_floats(qi_graph *g, int n, const char *name, int count, const float *v) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_FLOATS);
  a->n = count;
  a->floats = malloc(sizeof(float) * (size_t)(count ? count : 1));
  memcpy(a->floats, v, sizeof(float) * (size_t)count);
}
static inline void tt_attr_string(qi_graph *g, int n, const char *name, const char *v) {
  qi_attr *a = qi_node_add_attr(g, n, name, QI_ATTR_STRING);
  a->s = strdup(v);
  a->s_len = strlen(v);
}
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

/* infer, allocate outputs, prepare, run (with pool), release. */
static inline qi_status tt_run_pool(qi_graph *g, int node, qi_threadpool *pool, qi_error *err) {
  qi_status s = tt_infer(g, node, err);
  if (s != QINFER_OK) return s;
  qi_node *n = &g->nodes[node];
  for (int k = 0; k < n->n_outputs; k++) {
    qi_tensor *t = qi_node_out(g, n, k);
    if (!t || (t->flags & QI_TF_CONST)) continue;
    int64_t numel = qi_tensor_numel(t);
    size_t bytes = (size_t)numel * qi_dtype_size(t->dtype);
    if (t->flags & QI_TF_OWNED) free(t->data); /* a node run twice */
    t->data = malloc(bytes ? bytes : 1);
    memset(t->data, 0xA5, bytes ? bytes : 1); /* poison: every output byte must be written */
    t->nbytes = bytes;
    t->flags |= QI_TF_OWNED;
  }
  if (n->op->prepare && (s = n->op->prepare(g, n, err)) != QINFER_OK) return s;
  void *scratch = n->scratch_bytes ? malloc(n->scratch_bytes) : NULL;
  n->scratch = scratch;
  qi_exec_ctx ctx = {pool};
  s = n->op->run(g, n, &ctx, err);
  free(scratch);
  n->scratch = NULL;
  if (n->op->release && n->state) n->op->release(n);
  return s;
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
