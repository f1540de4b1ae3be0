#include "kernels/isa.h"
#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_qu8_dwconv_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__scalar,
                           .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__scalar,
                           .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__scalar",
                           .name_any = "qi_qu8_dwconv_minmax_ukernel_any__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__avx2,
                         .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__avx2,
                         .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__avx2",
                         .name_any = "qi_qu8_dwconv_minmax_ukernel_any__avx2"},
    [QI_ISA_AVXVNNI] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__avxvnni,
                            .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__avxvnni,
                            .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__avxvnni",
                            .name_any = "qi_qu8_dwconv_minmax_ukernel_any__avxvnni"},
    [QI_ISA_AVX512VNNI] = {.ukernel_3x3 = qi_qu8_dwconv_minmax_ukernel_3x3__avx512vnni,
                               .ukernel_any = qi_qu8_dwconv_minmax_ukernel_any__avx512vnni,
                               .name_3x3 = "qi_qu8_dwconv_minmax_ukernel_3x3__avx512vnni",
                               .name_any = "qi_qu8_dwconv_minmax_ukernel_any__avx512vnni"},
#endif /* x86 */
};

const qi_qu8_dwconv_config *qi_qu8_dwconv_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel_any);
  return &configs[isa];
}
