/* Single-node graph harness for the math and reduce op tests: builds tiny graphs by hand with the ir.h API and
 * runs infer / prepare / run the way a session would, allocating outputs and scratch here. */
#ifndef QI_TEST_OPS_MATH_HARNESS_H
#define QI_TEST_OPS_MATH_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "engine/op.h"
#include "node_harness.h"
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

static inline void h_attr_int(qi_graph *g, int node, const char *name, int64_t v) { th_attr_int(g, node, name, v); }
static inline void h_attr_float(qi_graph *g, int node, const char *name, float v) { th_attr_float(g, node, name, v); }
static inline void h_attr_ints(qi_graph *g, int node, const char *name, int n, const int64_t *v) { th_attr_ints(g, node, name, n, v); }
static inline void h_attr_string(qi_graph *g, int node, const char *name, const char *v) { th_attr_string(g, node, name, v); }

/* infer, output allocation (graph-owned, poisoned so unwritten outputs show), prepare, run, release. */
static inline qi_status h_run(qi_graph *g, int node, qi_threadpool *pool, qi_error *err) {
  qi_node *n = &g->nodes[node];
  n->op = qi_op_find(n->domain, n->op_type);
  if (!n->op) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "no op %s", n->op_type);
  QI_CHECK(n->op->infer(g, n, err));
  return th_run_inferred(g, n, pool, (th_run_options){.fill = 0xa5, .fresh_outputs = false}, err);
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
