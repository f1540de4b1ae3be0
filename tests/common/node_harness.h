/* What every single-node op test needs: attribute setters, and running one node the way a session does
 * (allocate its outputs, prepare, scratch, run, release). The per-family harnesses in tests/unit build on it. */
#ifndef QI_TEST_NODE_HARNESS_H
#define QI_TEST_NODE_HARNESS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "engine/op.h"

static inline void th_attr_int(qi_graph *g, int node, const char *name, int64_t v) {
  qi_node_add_attr(g, node, name, QI_ATTR_INT)->i = v;
}
static inline void th_attr_float(qi_graph *g, int node, const char *name, float v) {
  qi_node_add_attr(g, node, name, QI_ATTR_FLOAT)->f = v;
}
static inline void th_attr_ints(qi_graph *g, int node, const char *name, int n, const int64_t *v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_INTS);
  a->n = n;
  a->ints = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  if (n) memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
}
static inline void th_attr_floats(qi_graph *g, int node, const char *name, int n, const float *v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_FLOATS);
  a->n = n;
  a->floats = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (n) memcpy(a->floats, v, sizeof(float) * (size_t)n);
}
static inline void th_attr_string(qi_graph *g, int node, const char *name, const char *v) {
  qi_attr *a = qi_node_add_attr(g, node, name, QI_ATTR_STRING);
  a->s_len = strlen(v);
  a->s = malloc(a->s_len + 1);
  memcpy(a->s, v, a->s_len + 1);
}

typedef struct th_run_options {
  int fill;           /* byte written into fresh output buffers: 0, or a poison so unwritten outputs show */
  bool fresh_outputs; /* reallocate outputs a previous run allocated (else their buffers are reused) */
} th_run_options;

/* Allocates the outputs of node n (already inferred), then prepare, run with scratch, release. */
static inline qi_status th_run_inferred(qi_graph *g, qi_node *n, qi_threadpool *pool, th_run_options o,
                                        qi_error *err) {
  for (int k = 0; k < n->n_outputs; k++) {
    qi_tensor *t = qi_node_out(g, n, k);
    if (!t || (t->flags & QI_TF_CONST)) continue;
    if (t->data && !o.fresh_outputs) continue;
    if (t->flags & QI_TF_OWNED) free(t->data);
    const size_t bytes = (size_t)qi_tensor_numel(t) * qi_dtype_size(t->dtype);
    t->data = malloc(bytes ? bytes : 1);
    memset(t->data, o.fill, bytes ? bytes : 1);
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

#endif /* QI_TEST_NODE_HARNESS_H */
