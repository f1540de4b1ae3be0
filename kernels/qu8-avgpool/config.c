#include "kernels/isa.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_qu8_avgpool_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {.gavgpool = qi_qu8_gavgpool_ukernel__scalar,
                           .gavgpool_nwc = qi_qu8_gavgpool_nwc_ukernel__scalar,
                           .avgpool2d = qi_qu8_avgpool2d_chw_ukernel__scalar,
                           .name_gavgpool = "qi_qu8_gavgpool_ukernel__scalar",
                           .name_gavgpool_nwc = "qi_qu8_gavgpool_nwc_ukernel__scalar",
                           .name_avgpool2d = "qi_qu8_avgpool2d_chw_ukernel__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = {.gavgpool = qi_qu8_gavgpool_ukernel__avx2,
                         .gavgpool_nwc = qi_qu8_gavgpool_nwc_ukernel__avx2,
                         .avgpool2d = qi_qu8_avgpool2d_chw_ukernel__avx2,
                         .name_gavgpool = "qi_qu8_gavgpool_ukernel__avx2",
                         .name_gavgpool_nwc = "qi_qu8_gavgpool_nwc_ukernel__avx2",
                         .name_avgpool2d = "qi_qu8_avgpool2d_chw_ukernel__avx2"},
#endif /* x86 */
};

const qi_qu8_avgpool_config *qi_qu8_avgpool_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, gavgpool);
  return &configs[isa];
}
