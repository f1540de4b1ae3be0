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

/* The ISA path th_run_inferred runs nodes on (QI_ISA_COUNT: the best of this CPU). */
static qi_isa th_isa = QI_ISA_COUNT;
/* Whether the last node th_run_inferred ran packed every constant input it reads (qi_node_rt.const_inputs_packed). */
static bool th_const_inputs_packed;

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
  const qi_exec_ctx ctx = {pool};
  return qi_run_node_once(g, n, th_isa == QI_ISA_COUNT ? qi_isa_best() : th_isa, &ctx, &th_const_inputs_packed, err);
}

/* Records a fused activation on node (as the fusion passes do). */
static inline void th_set_act(qi_graph *g, int node, int kind, float min, float max, float alpha) {
  const qi_act act = {kind, min, max, alpha};
  qi_error err = {0};
  if (qi_node_set_fused_act(g, node, &act, &err) != QINFER_OK) abort();
}

#endif /* QI_TEST_NODE_HARNESS_H */
