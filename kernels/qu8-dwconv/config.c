#include "kernels/isa.h"
#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"

/* Indexed by qinfer_isa; paths without kernels of their own fall back along their family
 * (avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_qu8_dwconv_config configs[QINFER_ISA_NEONI8MM + 1] = {
    [QINFER_ISA_SCALAR] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__scalar,
                           .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__scalar,
                           .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__scalar",
                           .name_any = "qi_qu8_dwconv_minmax_ukernel_any__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QINFER_ISA_AVX2] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__avx2,
                         .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__avx2,
                         .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__avx2",
                         .name_any = "qi_qu8_dwconv_minmax_ukernel_any__avx2"},
#endif /* x86 */
};

const qi_qu8_dwconv_config *qi_qu8_dwconv_config_get(qinfer_isa isa) {
  if (isa == QINFER_ISA_AUTO) isa = qi_isa_best();
  for (;;) {
    if ((size_t)isa < sizeof configs / sizeof configs[0] && configs[isa].ukernel_any) return &configs[isa];
    switch (isa) {
      case QINFER_ISA_AVX512VNNI: isa = QINFER_ISA_AVXVNNI; break;
      case QINFER_ISA_AVXVNNI: isa = QINFER_ISA_AVX2; break;
      case QINFER_ISA_NEONI8MM: isa = QINFER_ISA_NEONDOT; break;
      case QINFER_ISA_NEONDOT: isa = QINFER_ISA_NEON; break;
      default: return &configs[QINFER_ISA_SCALAR];
    }
  }
}
