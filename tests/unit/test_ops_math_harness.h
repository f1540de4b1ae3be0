/* Single-node graph harness for the math and reduce op tests: builds tiny graphs by hand with the ir.h API and
 * runs infer / prepare / run the way a session would, allocating outputs and scratch here. */
#ifndef QI_TEST_OPS_MATH_HARNESS_H
#define QI_TEST_OPS_MATH_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir.h"
#include "engine/op.h"
#include "test_util.h"

/* Deterministic pseudo-random floats in [lo, hi). */
static inline float h_rand(uint32_t *state, float lo, float hi) {
  *state = *state * 1664525u + 1013904223u;
  return lo + (hi - lo) * (float)((*state >> 8) & 0xffff) / 65536.0f;
}
static inline void h_fill(float *x, size_t n, uint32_t seed, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = h_rand(&seed, lo, hi);
}
static inline int64_t h_numel(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  return n;
}

/* A constant tensor holding a copy of data. */
static inline int h_const(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data) {
  const int t = qi_graph_add_tensor(g, name);
  qi_error err;
  if (t < 0 || qi_tensor_set_const_copy(&g->tensors[t], dtype, rank, dims, data, &err) != QINFER_OK) return -1;
  return t;
}
static inline int h_out(qi_graph *g, const char *name) { return qi_graph_add_tensor(g, name); }

static inline int h_node(qi_graph *g, const char *op, int opset, const int *ins, int n_in, const int *outs,
                         int n_out) {
  const int n = qi_graph_add_node(g, op, "", ins, n_in, outs, n_out);
  if (n >= 0) g->nodes[n].opset = opset;
  return n;
}

static inline void h_attr_int(qi_graph *g, int node, const char *name, int64_t v) {
  qi_node_add_attr(g, node, name, QI_ATTR_INT)->i = v;
}
static inline void h_attr_float(qi_graph *g, int node, const char *name, float v) {
  qi_node_add_attr(g, node, name, QI_ATTR_FLOAT)->f = v;
}
static inline void h_attr_ints(qi_graph *g, int node, const char *name, int n, const int64_t *v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_INTS);
  a->n = n;
  a->ints = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (n) memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
}
static inline void h_attr_string(qi_graph *g, int node, const char *name, const char *v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_STRING);
  a->s_len = strlen(v);
  a->s = malloc(a->s_len + 1);
  memcpy(a->s, v, a->s_len + 1);
}

/* infer, output allocation (graph-owned), prepare, run with scratch, release. */
static inline qi_status h_run(qi_graph *g, int node, qi_threadpool *pool, qi_error *err) {
  qi_node *n = &g->nodes[node];
  n->op = qi_op_find(n->domain, n->op_type);
  if (!n->op) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "no op %s", n->op_type);
  QI_CHECK(n->op->infer(g, n, err));
  for (int i = 0; i < n->n_outputs; i++) {
    qi_tensor *t = qi_node_out(g, n, i);
    if (!t || t->data) continue;
    const size_t bytes = (size_t)qi_tensor_numel(t) * qi_dtype_size(t->dtype);
    t->data = malloc(bytes ? bytes : 1);
    memset(t->data, 0xa5, bytes ? bytes : 1); /* garbage, so unwritten outputs show */
    t->nbytes = bytes;
    t->flags |= QI_TF_OWNED;
  }
  n->scratch_bytes = 0;
  qi_status st = n->op->prepare ? n->op->prepare(g, n, err) : QINFER_OK;
  if (st == QINFER_OK) {
    n->scratch = n->scratch_bytes ? malloc(n->scratch_bytes) : NULL;
    const qi_exec_ctx ctx = {pool};
    st = n->op->run(g, n, &ctx, err);
    free(n->scratch);
    n->scratch = NULL;
  }
  if (n->op->release && n->state) n->op->release(n);
  n->state = NULL;
  return st;
}

/* Output tensor i of node. */
static inline qi_tensor *h_output(qi_graph *g, int node, int i) { return qi_node_out(g, &g->nodes[node], i); }

/* |got - want| <= tol * max(1, |want|), NaN matching NaN and infinities matching exactly. */
static inline int h_close(double got, double want, double tol) {
  if (want != want) return got != got;
  if (isinf(want)) return got == want;
  return fabs(got - want) <= tol * (fabs(want) > 1.0 ? fabs(want) : 1.0);
}

/* Input index of output linear index lin for an input of shape (rank, dims) broadcast to (out_rank, out). */
static inline int64_t h_bcast_index(int out_rank, const int64_t *out, int64_t lin, int rank, const int64_t *dims) {
  int64_t idx = 0, stride = 1;
  for (int d = out_rank - 1, k = rank - 1; d >= 0; d--, k--) {
    const int64_t i = lin % out[d];
    lin /= out[d];
    if (k >= 0) {
      if (dims[k] != 1) idx += i * stride;
      stride *= dims[k];
    }
  }
  return idx;
}

#endif /* QI_TEST_OPS_MATH_HARNESS_H */
