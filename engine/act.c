#include <assert.h>

#include "engine/op.h"
#include "kernels/f32-vunary/vunary.h"

/* Clamp and LeakyRelu are exact per element (min/max, one multiply), so every ISA path gives the same bits
 * and the best available kernel serves whatever path the session was forced to. */
void qi_apply_act_f32(const qi_node *n, float *data, size_t count) {
  qi_f32_unary_params p = {.min = n->act_min, .max = n->act_max, .alpha = n->act_alpha};
  switch (n->act) {
    case QI_ACT_NONE: return;
    case QI_ACT_CLAMP: qi_f32_vunary_config_get(QI_VUNARY_CLAMP, qi_isa_best())(count, data, data, &p); return;
    case QI_ACT_LEAKY: qi_f32_vunary_config_get(QI_VUNARY_LEAKY_RELU, qi_isa_best())(count, data, data, &p); return;
  }
  assert(!"unknown fused activation");
}
