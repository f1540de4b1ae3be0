/* Fused activations: recorded on a rewritten node as internal attributes, applied by the ops that honour them. */
#include <assert.h>
#include <stdlib.h>

#include "engine/op.h"
#include "kernels/f32-vunary/vunary.h"

#define ACT_KIND QI_INTERNAL_ATTR_PREFIX "fused_activation"
#define ACT_PARAMS QI_INTERNAL_ATTR_PREFIX "fused_activation_params" /* [min, max, alpha] */

/* Clamp and LeakyRelu are exact per element (min/max, one multiply), so every ISA path gives the same bits
 * and the best available kernel serves whatever path the session was forced to. */
void qi_apply_act_f32(const qi_act *act, float *data, size_t count) {
  qi_f32_unary_params p = {.min = act->min, .max = act->max, .alpha = act->alpha};
  switch (act->kind) {
    case QI_ACT_NONE: return;
    case QI_ACT_CLAMP:
      qi_f32_vunary_config_get(QI_VUNARY_CLAMP, qi_isa_best())->ukernel(count, data, data, &p);
      return;
    case QI_ACT_LEAKY:
      qi_f32_vunary_config_get(QI_VUNARY_LEAKY_RELU, qi_isa_best())->ukernel(count, data, data, &p);
      return;
  }
  assert(!"unknown fused activation");
}

static qi_attr *find_or_add(qi_graph *g, int node, const char *name, qi_attr_type type) {
  qi_attr *a = (qi_attr *)qi_node_attr(&g->nodes[node], name); /* the graph is ours to edit */
  return a ? a : qi_node_add_attr(g, node, name, type);
}

qi_status qi_node_set_fused_act(qi_graph *g, int node, const qi_act *act, qi_error *err) {
  qi_attr *kind = find_or_add(g, node, ACT_KIND, QI_ATTR_INT);
  if (!kind) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  kind->i = act->kind;
  qi_attr *params = find_or_add(g, node, ACT_PARAMS, QI_ATTR_FLOATS);
  if (!params) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (!params->floats && !(params->floats = malloc(3 * sizeof(float))))
    return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  params->n = 3;
  params->floats[0] = act->min, params->floats[1] = act->max, params->floats[2] = act->alpha;
  return QINFER_OK;
}

qi_act qi_node_fused_act(const qi_node *n) {
  qi_act act = {QI_ACT_NONE, 0, 0, 0};
  const float *p;
  act.kind = (int)qi_attr_int(n, ACT_KIND, QI_ACT_NONE);
  if (act.kind != QI_ACT_NONE && qi_attr_floats(n, ACT_PARAMS, &p) == 3) act.min = p[0], act.max = p[1], act.alpha = p[2];
  return act;
}
