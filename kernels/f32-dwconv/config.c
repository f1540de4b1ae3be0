#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/isa.h"

/* Indexed by qinfer_isa; paths without kernels of their own use the scalar entry. */
static const qi_f32_dwconv_config configs[QINFER_ISA_NEONI8MM + 1] = {
    [QINFER_ISA_SCALAR] = {.ukernel_3x3 = qi_f32_dwconv_minmax_ukernel_3x3__scalar,
                           .ukernel_any = qi_f32_dwconv_minmax_ukernel_any__scalar},
};

const qi_f32_dwconv_config *qi_f32_dwconv_config_get(qinfer_isa isa) {
  if (isa == QINFER_ISA_AUTO) isa = qi_isa_best();
  if ((size_t)isa < sizeof configs / sizeof configs[0] && configs[isa].ukernel_any) return &configs[isa];
  return &configs[QINFER_ISA_SCALAR];
}
