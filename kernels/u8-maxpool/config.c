#include "kernels/isa.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

/* Indexed by qinfer_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_u8_maxpool_config configs[QINFER_ISA_NEONI8MM + 1] = {
    [QINFER_ISA_SCALAR] = {.ukernel_2d = qi_u8_maxpool_ukernel_2d__scalar,
                           .name_2d = "qi_u8_maxpool_ukernel_2d__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QINFER_ISA_AVX2] = {.ukernel_2d = qi_u8_maxpool_ukernel_2d__avx2, .name_2d = "qi_u8_maxpool_ukernel_2d__avx2"},
#endif /* x86 */
};

const qi_u8_maxpool_config *qi_u8_maxpool_config_get(qinfer_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel_2d);
  return &configs[isa];
}
