/* Session passes that give every tensor a concrete shape: op resolution, input shape binding, and shape
 * inference interleaved with constant folding (so shape subgraphs of dynamic-shape exports fold away). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

qi_status qi_resolve_ops(qi_graph *g, qi_error *err) {
  char missing[QI_ERROR_MSG_SIZE] = "";
  size_t used = 0;
  int n_missing = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    qi_node *n = &g->nodes[i];
    if (n->dead) continue;
    n->op = qi_op_find(n->domain, n->op_type);
    if (n->op) continue;
    /* list each unsupported (domain, op) once */
    bool seen = false;
    for (int j = 0; j < i && !seen; j++)
      seen = !g->nodes[j].dead && !g->nodes[j].op && strcmp(g->nodes[j].op_type, n->op_type) == 0 &&
             strcmp(g->nodes[j].domain, n->domain) == 0;
    if (seen) continue;
    n_missing++;
    if (used < sizeof missing - 1) {
      int w = snprintf(missing + used, sizeof missing - used, "%s%s%s%s", used ? ", " : "", n->domain,
                       n->domain[0] ? "." : "", n->op_type);
      if (w > 0) used += (size_t)w;
    }
  }
  if (n_missing)
    return qi_fail(err, QINFER_ERR_UNSUPPORTED, "unsupported operator%s: %s", n_missing > 1 ? "s" : "", missing);
  return QINFER_OK;
}

static int64_t dim_binding(const qinfer_session_options *opts, const char *sym) {
  if (opts && sym)
    for (int i = 0; i < opts->n_dims; i++)
      if (strcmp(opts->dims[i].name, sym) == 0) return opts->dims[i].value;
  return -1;
}

qi_status qi_bind_input_shapes(qi_graph *g, const qinfer_session_options *opts, qi_error *err) {
  char a[128], b[128];
  if (opts) /* every shape given must name a real input */
    for (int s = 0; s < opts->n_shapes; s++) {
      bool found = false;
      for (int i = 0; i < g->n_inputs && !found; i++) found = strcmp(g->tensors[g->inputs[i]].name, opts->shapes[s].name) == 0;
      if (!found) return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "the model has no input named '%s'", opts->shapes[s].name);
    }
  for (int i = 0; i < g->n_inputs; i++) {
    qi_tensor *t = &g->tensors[g->inputs[i]];
    const qi_input_shape *given = NULL;
    for (int s = 0; opts && s < opts->n_shapes; s++)
      if (strcmp(opts->shapes[s].name, t->name) == 0) given = &opts->shapes[s];
    if (qi_dtype_size(t->dtype) == 0)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, "input '%s' has unsupported type %s", t->name, qi_dtype_name(t->dtype));
    int64_t dims[QI_MAX_RANK];
    if (given) {
      if (t->rank >= 0 && given->rank != t->rank)
        return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': shape %s has rank %d, the model expects rank %d", t->name,
                       qi_shape_str(given->rank, given->dims, a, sizeof a), given->rank, t->rank);
      for (int d = 0; d < given->rank; d++) {
        if (given->dims[d] < 0)
          return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': negative dimension in %s", t->name,
                         qi_shape_str(given->rank, given->dims, a, sizeof a));
        if (t->rank >= 0 && t->dims[d] >= 0 && t->sym[d] < 0 && t->dims[d] != given->dims[d])
          return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': shape %s does not match the model's %s", t->name,
                         qi_shape_str(given->rank, given->dims, a, sizeof a), qi_shape_str(t->rank, t->dims, b, sizeof b));
        dims[d] = given->dims[d];
      }
      qi_tensor_set_shape(t, t->dtype, given->rank, dims);
      continue;
    }
    if (t->rank < 0)
      return qi_fail(err, QINFER_ERR_SHAPE, "input '%s' has an unknown rank: give its shape in the session options", t->name);
    for (int d = 0; d < t->rank; d++) {
      int64_t v = t->dims[d];
      if (v < 0 || t->sym[d] >= 0) {
        int64_t bound = dim_binding(opts, t->sym[d] >= 0 ? g->sym_names[t->sym[d]] : NULL);
        v = bound >= 0 ? bound : (t->dims[d] >= 0 ? t->dims[d] : 1); /* unbound symbolic dims default to 1 */
      }
      dims[d] = v;
    }
    qi_tensor_set_shape(t, t->dtype, t->rank, dims);
  }
  return QINFER_OK;
}

static bool all_inputs_const(const qi_graph *g, const qi_node *n) {
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && !(g->tensors[n->inputs[k]].flags & QI_TF_CONST)) return false;
  return true;
}

static bool all_outputs_const(const qi_graph *g, const qi_node *n) {
  for (int k = 0; k < n->n_outputs; k++)
    if (n->outputs[k] >= 0 && !(g->tensors[n->outputs[k]].flags & QI_TF_CONST)) return false;
  return true;
}

/* Evaluates node n now: its outputs become graph-owned constants. */
static qi_status fold_node(qi_graph *g, qi_node *n, qi_isa isa, qi_error *err) {
  for (int k = 0; k < n->n_outputs; k++) {
    qi_tensor *t = qi_node_out(g, n, k);
    if (t) QI_CHECK(qi_tensor_alloc_const(t, err));
  }
  const qi_exec_ctx ctx = {NULL};
  return qi_run_node_once(g, n, isa, &ctx, NULL, err);
}

static bool foldable(const qi_graph *g, const qi_node *n, bool late) {
  if (n->op->flags & QI_OPF_NO_FOLD) return false;
  if ((n->op->flags & QI_OPF_FOLD_LATE) && !late) return false;
  return !all_outputs_const(g, n) && all_inputs_const(g, n);
}

qi_status qi_fold_late(qi_graph *g, qi_isa isa, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    qi_node *n = &g->nodes[g->order[oi]];
    if (n->dead || !foldable(g, n, true)) continue;
    qi_status s = fold_node(g, n, isa, err);
    if (s != QINFER_OK) return qi_node_error_context(n, err);
    n->dead = true;
  }
  return QINFER_OK;
}

qi_status qi_infer_and_fold(qi_graph *g, qi_isa isa, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    qi_node *n = &g->nodes[g->order[oi]];
    if (n->dead) continue;
    qi_status s = n->op->infer(g, n, err);
    if (s == QINFER_OK) {
      for (int k = 0; k < n->n_outputs && s == QINFER_OK; k++) {
        qi_tensor *t = qi_node_out(g, n, k);
        if (t && !(t->flags & QI_TF_SHAPED))
          s = qi_fail(err, QINFER_ERR_SHAPE, "output '%s' got no shape", t->name);
      }
    }
    if (s == QINFER_OK && foldable(g, n, false)) s = fold_node(g, n, isa, err);
    if (s != QINFER_OK) return qi_node_error_context(n, err);
    if (all_outputs_const(g, n)) n->dead = true; /* its values are known: nothing left to run */
  }
  return QINFER_OK;
}

qi_status qi_remove_dead_nodes(qi_graph *g, qi_error *err) {
  /* A node is live when one of its outputs is a graph output or read by a live node; walk backwards. */
  QI_CHECK(qi_graph_link(g, err));
  int *uses = calloc((size_t)g->n_tensors + 1, sizeof(int));
  if (!uses) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < g->n_outputs; i++) uses[g->outputs[i]]++;
  for (int oi = g->n_order - 1; oi >= 0; oi--) {
    qi_node *n = &g->nodes[g->order[oi]];
    if (n->dead) continue;
    bool used = false;
    for (int k = 0; k < n->n_outputs && !used; k++) used = n->outputs[k] >= 0 && uses[n->outputs[k]] > 0;
    if (!used) {
      n->dead = true;
      continue;
    }
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) uses[n->inputs[k]]++;
  }
  free(uses);
  return qi_graph_toposort(g, err);
}
