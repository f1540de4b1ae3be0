/* Activation fusion, run after shape inference and constant folding (Conv -> BatchNormalization and other
 * per-channel affine ops are folded by engine/pass_fold_conv.c):
 *   Op -> Relu / Clip / LeakyRelu  fused into ops flagged QI_OPF_FUSE_ACT (recorded with qi_node_set_fused_act). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"

/* Reads a constant float scalar input of node n (index k); false when absent or not constant. */
static bool const_scalar(const qi_graph *g, const qi_node *n, int k, float *out) {
  if (k >= n->n_inputs || n->inputs[k] < 0) return false;
  const qi_tensor *t = &g->tensors[n->inputs[k]];
  if (!(t->flags & QI_TF_CONST) || t->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(t) != 1) return false;
  *out = *(const float *)t->data;
  return true;
}

bool qi_pass_activation_of(const qi_graph *g, const qi_node *a, qi_act *out) {
  if (a->domain[0] || a->n_outputs != 1) return false;
  out->min = -FLT_MAX;
  out->max = FLT_MAX;
  out->alpha = 0.f;
  if (strcmp(a->op_type, "Relu") == 0) {
    out->kind = QI_ACT_CLAMP;
    out->min = 0.f;
    return true;
  }
  if (strcmp(a->op_type, "LeakyRelu") == 0) {
    out->kind = QI_ACT_LEAKY;
    out->alpha = qi_attr_float(a, "alpha", 0.01f);
    return true;
  }
  if (strcmp(a->op_type, "Clip") == 0) {
    out->kind = QI_ACT_CLAMP;
    if (a->opset < 11) {
      out->min = qi_attr_float(a, "min", -FLT_MAX);
      out->max = qi_attr_float(a, "max", FLT_MAX);
      return true;
    }
    for (int k = 1; k < a->n_inputs; k++)
      if (a->inputs[k] >= 0 && !const_scalar(g, a, k, k == 1 ? &out->min : &out->max)) return false;
    return out->min <= out->max;
  }
  return false;
}

/* Each tensor's readers, one entry per input slot of a live node, in CSR form: built once per pass, since the
 * pass rewires outputs and kills nodes but changes no node's inputs. */
typedef struct readers {
  int *start, *node;
  bool *is_output;
} readers;

static void readers_free(readers *r) { free(r->start), free(r->node), free(r->is_output); }

static bool readers_build(const qi_graph *g, readers *r) {
  r->start = calloc((size_t)g->n_tensors + 2, sizeof(int));
  r->is_output = calloc((size_t)g->n_tensors + 1, sizeof(bool));
  if (!r->start || !r->is_output) return false;
  for (int i = 0; i < g->n_outputs; i++) r->is_output[g->outputs[i]] = true;
  for (int i = 0; i < g->n_nodes; i++)
    for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] >= 0) r->start[g->nodes[i].inputs[k] + 2]++;
  for (int t = 0; t < g->n_tensors; t++) r->start[t + 2] += r->start[t + 1];
  if (!(r->node = malloc(sizeof(int) * ((size_t)r->start[g->n_tensors + 1] + 1)))) return false;
  for (int i = 0; i < g->n_nodes; i++) /* start[t + 1] is t's fill point until this loop ends */
    for (int k = 0; !g->nodes[i].dead && k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] >= 0) r->node[r->start[g->nodes[i].inputs[k] + 1]++] = i;
  return true;
}

/* qi_pass_sole_consumer over the readers of t alone. */
static int sole_reader(const qi_graph *g, const readers *r, int t) {
  if (r->is_output[t]) return -1;
  int found = -1;
  for (int c = r->start[t]; c < r->start[t + 1]; c++) {
    if (g->nodes[r->node[c]].dead) continue;
    if (found >= 0) return -1;
    found = r->node[c];
  }
  return found;
}

qi_status qi_fuse_activations(qi_graph *g, qi_error *err) {
  readers r = {0};
  if (!readers_build(g, &r)) {
    readers_free(&r);
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  qi_status st = QINFER_OK;
  for (int oi = 0; st == QINFER_OK && oi < g->n_order; oi++) {
    qi_node *p = &g->nodes[g->order[oi]];
    if (p->dead || !(p->op->flags & QI_OPF_FUSE_ACT) || qi_node_fused_act(p).kind != QI_ACT_NONE || p->n_outputs < 1 ||
        p->outputs[0] < 0 || g->tensors[p->outputs[0]].dtype != QINFER_DTYPE_FLOAT)
      continue;
    bool extra_outputs = false;
    for (int k = 1; k < p->n_outputs; k++) extra_outputs |= p->outputs[k] >= 0;
    if (extra_outputs) continue;
    const int ai = sole_reader(g, &r, p->outputs[0]);
    if (ai < 0) continue;
    qi_node *a = &g->nodes[ai];
    qi_act act;
    if (a->inputs[0] != p->outputs[0] || !qi_pass_activation_of(g, a, &act)) continue;
    if ((st = qi_node_set_fused_act(g, g->order[oi], &act, err)) != QINFER_OK) break;
    p = &g->nodes[g->order[oi]];
    p->outputs[0] = a->outputs[0];
    a->dead = true;
  }
  readers_free(&r);
  return st == QINFER_OK ? qi_graph_toposort(g, err) : st;
}
