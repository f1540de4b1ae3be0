/* Single-node graph harness for the nn op tests: builds a graph by hand, then runs infer / prepare / run /
 * release of the node's op the way a session would, with the scratch and output buffers allocated here. */
#ifndef QI_NN_HARNESS_H
#define QI_NN_HARNESS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "engine/op.h"
#include "node_harness.h"
#include "test_util.h"

/* Deterministic pseudo-random floats in [-1, 1). */
static inline float nn_rand(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return (float)((*state >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static inline void nn_fill(float *x, size_t n, uint32_t seed) {
  for (size_t i = 0; i < n; i++) x[i] = nn_rand(&seed);
}

/* A float tensor, constant (copied into the graph) or a graph input pointing at data (not copied). */
static inline int nn_tensor(qi_graph *g, const char *name, int dtype, int rank, const int64_t *dims, const void *data,
                            int constant) {
  const int t = qi_graph_add_tensor(g, name);
  qi_tensor *tt = &g->tensors[t];
  if (constant) {
    qi_error err;
    if (qi_tensor_set_const_copy(tt, dtype, rank, dims, data, &err) != QINFER_OK) return -1;
  } else {
    qi_tensor_set_shape(tt, dtype, rank, dims);
    tt->data = (void *)data;
    tt->flags |= QI_TF_INPUT;
  }
  return t;
}
/* Replaces the node's name (qi_graph_add_node gives it an empty one). */
static inline void nn_name(qi_graph *g, int node, const char *name) {
  free(g->nodes[node].name);
  g->nodes[node].name = strdup(name);
}
static inline int nn_output(qi_graph *g, const char *name) { return qi_graph_add_tensor(g, name); }

static inline void nn_attr_ints(qi_graph *g, int node, const char *name, int n, const int64_t *v) { th_attr_ints(g, node, name, n, v); }
static inline void nn_attr_int(qi_graph *g, int node, const char *name, int64_t v) { th_attr_int(g, node, name, v); }
static inline void nn_attr_float(qi_graph *g, int node, const char *name, float v) { th_attr_float(g, node, name, v); }
static inline void nn_attr_string(qi_graph *g, int node, const char *name, const char *v) { th_attr_string(g, node, name, v); }

/* Runs node `node` once: infer, (first time) zeroed outputs, prepare, run, release. */
static inline qi_status nn_run(qi_graph *g, int node, qi_threadpool *pool, qi_error *err) {
  qi_node *n = &g->nodes[node];
  if (!n->op) n->op = qi_op_find(n->domain, n->op_type);
  if (!n->op) return qi_fail(err, QINFER_ERR_UNSUPPORTED, "no op %s", n->op_type);
  QI_CHECK(n->op->infer(g, n, err));
  return th_run_inferred(g, n, pool, (th_run_options){.fill = 0, .fresh_outputs = false}, err);
}

static inline float *nn_out(qi_graph *g, int node, int i) { return (float *)qi_node_out(g, &g->nodes[node], i)->data; }

/* Max |a - b| relative to max |b|, and whether a and b agree within tol of that scale. */
static inline int nn_close(const float *a, const double *ref, size_t n, double tol, double *worst) {
  double scale = 1e-6, diff = 0;
  for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(ref[i]));
  for (size_t i = 0; i < n; i++) {
    const double d = fabs((double)a[i] - ref[i]);
    if (!(d <= diff)) diff = d; /* NaN-propagating */
  }
  *worst = diff / scale;
  return *worst <= tol;
}

#endif /* QI_NN_HARNESS_H */
