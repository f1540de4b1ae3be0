#include "kernels/isa.h"
#include "kernels/s8-maxpool/s8-maxpool.h"

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_s8_maxpool_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {.ukernel_2d = qi_s8_maxpool_ukernel_2d__scalar,
                           .name_2d = "qi_s8_maxpool_ukernel_2d__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = {.ukernel_2d = qi_s8_maxpool_ukernel_2d__avx2, .name_2d = "qi_s8_maxpool_ukernel_2d__avx2"},
#endif /* x86 */
};

const qi_s8_maxpool_config *qi_s8_maxpool_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel_2d);
  return &configs[isa];
}
