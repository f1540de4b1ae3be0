#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/isa.h"

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_dwconv_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {.ukernel_3x3 = qi_f32_dwconv_minmax_ukernel_3x3__scalar,
                           .ukernel_any = qi_f32_dwconv_minmax_ukernel_any__scalar},
};

const qi_f32_dwconv_config *qi_f32_dwconv_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel_any);
  return &configs[isa];
}
