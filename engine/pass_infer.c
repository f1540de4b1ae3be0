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

static bool is_input_name(const qi_graph *g, const char *name) {
  for (int i = 0; i < g->n_inputs; i++)
    if (strcmp(g->tensors[g->inputs[i]].name, name) == 0) return true;
  return false;
}

/* dims (rank) given for input t: checked against its declared rank and fixed dims. */
static qi_status check_given(const qi_tensor *t, int rank, const int64_t *dims, qi_error *err) {
  char a[128], b[128];
  if (t->rank >= 0 && rank != t->rank)
    return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': shape %s has rank %d, the model expects rank %d", t->name,
                   qi_shape_str(rank, dims, a, sizeof a), rank, t->rank);
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 0)
      return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': negative dimension in %s", t->name,
                     qi_shape_str(rank, dims, a, sizeof a));
    if (t->rank >= 0 && t->dims[d] >= 0 && t->sym[d] < 0 && t->dims[d] != dims[d])
      return qi_fail(err, QINFER_ERR_SHAPE, "input '%s': shape %s does not match the model's %s", t->name,
                     qi_shape_str(rank, dims, a, sizeof a), qi_shape_str(t->rank, t->dims, b, sizeof b));
  }
  return QINFER_OK;
}

/* Input t becomes a constant holding the value bound to it. */
static qi_status bind_value(qi_tensor *t, const qi_input_value *v, qi_error *err) {
  QI_CHECK(check_given(t, v->rank, v->dims, err));
  if (v->dtype != t->dtype)
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "input '%s': value of type %s, the model expects %s", t->name,
                   qi_dtype_name(v->dtype), qi_dtype_name(t->dtype));
  return qi_tensor_set_const_copy(t, t->dtype, v->rank, v->dims, v->data, err);
}

qi_status qi_bind_input_shapes(qi_graph *g, const qinfer_session_options *opts, qi_error *err) {
  for (int s = 0; opts && s < opts->n_shapes; s++) /* every shape given must name a real input */
    if (!is_input_name(g, opts->shapes[s].name))
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "the model has no input named '%s'", opts->shapes[s].name);
  for (int s = 0; opts && s < opts->n_values; s++)
    if (!is_input_name(g, opts->values[s].name))
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "the model has no input named '%s'", opts->values[s].name);
  for (int i = 0; i < g->n_inputs; i++) {
    qi_tensor *t = &g->tensors[g->inputs[i]];
    const qi_input_shape *given = NULL;
    for (int s = 0; opts && s < opts->n_shapes; s++)
      if (strcmp(opts->shapes[s].name, t->name) == 0) given = &opts->shapes[s];
    if (qi_dtype_is_4bit(t->dtype))
      return qi_fail(err, QINFER_ERR_UNSUPPORTED,
                     "input '%s' has type %s: 4-bit tensors are supported as constants only (weights, zero points)",
                     t->name, qi_dtype_name(t->dtype));
    if (qi_dtype_size(t->dtype) == 0)
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, "input '%s' has unsupported type %s", t->name, qi_dtype_name(t->dtype));
    const qi_input_value *value = qi_options_value(opts, t->name);
    if (value && value->bind) {
      QI_CHECK(bind_value(t, value, err));
      continue;
    }
    int64_t dims[QI_MAX_RANK];
    if (given) {
      QI_CHECK(check_given(t, given->rank, given->dims, err));
      qi_tensor_set_shape(t, t->dtype, given->rank, given->dims);
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

qi_status qi_require_value_fail(const qi_node *n, const qi_tensor *t, const char *what, qi_error *err) {
  qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' must be constant (data-dependent shapes unsupported)",
               what);
  if (err) err->needed_value = t;
  return QINFER_ERR_UNSUPPORTED;
}

/* The graph input (tensor index) that tensor t's value is computed from, -1 when none: the first found walking
 * producers back through tensors that are not constant. */
static int source_input(const qi_graph *g, int t) {
  int *stack = malloc(sizeof(int) * ((size_t)g->n_tensors + 1));
  bool *seen = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  int found = -1, top = 0;
  if (stack && seen) {
    stack[top++] = t;
    seen[t] = true;
  }
  while (top > 0 && found < 0) {
    const qi_tensor *x = &g->tensors[stack[--top]];
    if (x->flags & QI_TF_CONST) continue;
    if (x->flags & QI_TF_INPUT) {
      found = (int)(x - g->tensors);
      break;
    }
    if (x->producer < 0) continue;
    const qi_node *p = &g->nodes[x->producer];
    for (int k = 0; k < p->n_inputs; k++)
      if (p->inputs[k] >= 0 && !seen[p->inputs[k]]) {
        seen[p->inputs[k]] = true;
        stack[top++] = p->inputs[k];
      }
  }
  free(stack);
  free(seen);
  return found;
}

/* After an op needed a value that is not constant: names the graph input it comes from, which a session given
 * that input's value binds (qinfer_session_options_set_input_value), in the message and in err->needed_value. */
static void name_needed_input(const qi_graph *g, qi_error *err) {
  const int t = (int)(err->needed_value - g->tensors);
  const int input = t >= 0 && t < g->n_tensors ? source_input(g, t) : -1;
  err->needed_value = input >= 0 ? &g->tensors[input] : NULL;
  if (input < 0) return;
  const size_t len = strlen(err->msg);
  snprintf(err->msg + len, sizeof err->msg - len,
           "; its value comes from graph input '%s': give that value when the session is created "
           "(qinfer_session_options_set_input_value; qinfer run: --input %s=FILE)",
           g->tensors[input].name, g->tensors[input].name);
}

/* Only ops flagged QI_OPF_READS_4BIT see 4-bit tensors. */
static qi_status check_4bit_inputs(qi_graph *g, const qi_node *n, qi_error *err) {
  if (n->op->flags & QI_OPF_READS_4BIT) return QINFER_OK;
  for (int k = 0; k < n->n_inputs; k++) {
    const qi_tensor *t = qi_node_in(g, n, k);
    if (t && qi_dtype_is_4bit(t->dtype))
      return qi_fail(err, QINFER_ERR_UNSUPPORTED, "input '%s' is %s: %s does not take 4-bit tensors (only "
                     "DequantizeLinear and QuantizeLinear's zero point do)", t->name, qi_dtype_name(t->dtype),
                     n->op->op_type);
  }
  return QINFER_OK;
}

qi_status qi_infer_and_fold(qi_graph *g, qi_isa isa, qi_error *err) {
  for (int oi = 0; oi < g->n_order; oi++) {
    qi_node *n = &g->nodes[g->order[oi]];
    if (n->dead) continue;
    err->needed_value = NULL;
    qi_status s = check_4bit_inputs(g, n, err);
    if (s == QINFER_OK) s = n->op->infer(g, n, err);
    if (s != QINFER_OK && err->needed_value) name_needed_input(g, err);
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
