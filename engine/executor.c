/* The session's nodes at run time: preparing them once (per-node runtime data beside the IR), freeing what
 * packing made unnecessary, running them in order. */
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

qi_status qi_run_node_once(qi_graph *g, qi_node *n, qi_isa isa, const qi_exec_ctx *ctx, bool *packed,
                           qi_error *err) {
  qi_node_rt rt = {.isa = isa, .act = qi_node_fused_act(n)};
  qi_status s = n->op->prepare ? n->op->prepare(g, n, &rt, err) : QINFER_OK;
  if (s == QINFER_OK && rt.scratch_bytes && !(rt.scratch = malloc(rt.scratch_bytes)))
    s = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of scratch", rt.scratch_bytes);
  if (s == QINFER_OK) s = n->op->run(g, n, &rt, ctx, err);
  free(rt.scratch);
  if (packed) *packed = rt.const_inputs_packed;
  if (n->op->release && rt.state) n->op->release(&rt);
  return s;
}

qi_status qi_prepare_nodes(qi_graph *g, qi_node_rt *rt, qi_isa isa, qi_error *err) {
  for (int i = 0; i < g->n_nodes; i++) {
    rt[i] = (qi_node_rt){.isa = isa};
    if (!g->nodes[i].dead) rt[i].act = qi_node_fused_act(&g->nodes[i]);
  }
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    if (n->op->prepare && n->op->prepare(g, n, &rt[g->order[s]], err) != QINFER_OK)
      return qi_node_error_context(n, err);
  }
  return QINFER_OK;
}

void qi_release_nodes(const qi_graph *g, qi_node_rt *rt) {
  for (int i = 0; i < g->n_nodes; i++) {
    const qi_node *n = &g->nodes[i];
    if (n->op && n->op->release && rt[i].state) n->op->release(&rt[i]);
    rt[i].state = NULL;
  }
}

void qi_release_packed_constants(qi_graph *g, const qi_node_rt *rt) {
  bool *needed = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  if (!needed) return; /* only an optimisation */
  for (int i = 0; i < g->n_outputs; i++) needed[g->outputs[i]] = true;
  for (int s = 0; s < g->n_order; s++) {
    const qi_node *n = &g->nodes[g->order[s]];
    if (rt[g->order[s]].const_inputs_packed) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) needed[n->inputs[k]] = true;
  }
  for (int t = 0; t < g->n_tensors; t++) {
    qi_tensor *x = &g->tensors[t];
    if (needed[t] || (x->flags & (QI_TF_CONST | QI_TF_OWNED)) != (QI_TF_CONST | QI_TF_OWNED)) continue;
    free(x->data);
    x->data = NULL;
    x->flags &= ~(uint32_t)QI_TF_OWNED;
  }
  free(needed);
}

qi_status qi_execute(qi_graph *g, const qi_node_rt *rt, qi_threadpool *pool, qi_error *err) {
  const qi_exec_ctx ctx = {pool};
  for (int s = 0; s < g->n_order; s++) {
    qi_node *n = &g->nodes[g->order[s]];
    if (n->op->run(g, n, &rt[g->order[s]], &ctx, err) != QINFER_OK)
      return qi_node_error_context(n, err);
  }
  return QINFER_OK;
}
