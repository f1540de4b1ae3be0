#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"

#define DW_U8 .x_domain = QI_ACT_DOMAIN_U8, .init_params = qi_qu8_dwconv_params_make

static const qi_qu8_dwconv_config scalar = {.ukernel_3x3 = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__scalar),
                                            .ukernel_any = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__scalar),
                                            .features = 0, DW_U8};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_dwconv_config avx2 = {.ukernel_3x3 = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__avx2),
                                          .ukernel_any = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__avx2),
                                          .features = QI_CPU_AVX2, DW_U8};
/* The VNNI kernels hand windows they do not take to the AVX2 ones. */
static const qi_qu8_dwconv_config avxvnni = {.ukernel_3x3 = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__avxvnni),
                                             .ukernel_any = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__avxvnni),
                                             .features = QI_CPU_AVX2 | QI_CPU_AVXVNNI, DW_U8};
static const qi_qu8_dwconv_config avx512vnni = {
    .ukernel_3x3 = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__avx512vnni),
    .ukernel_any = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__avx512vnni),
    .features = QI_CPU_AVX2 | QI_CPU_AVX512 | QI_CPU_AVX512VNNI, DW_U8};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_dwconv_config neon = {.ukernel_3x3 = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__neon),
                                          .ukernel_any = QI_KERNEL(qi_qu8_dwconv_minmax_ukernel_any__neon),
                                          .features = QI_CPU_NEON, DW_U8};
#endif /* Arm NEON */

static const qi_qu8_dwconv_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avxvnni, &avx512vnni,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm NEON */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar). */
static const qi_qu8_dwconv_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVXVNNI] = &avxvnni,
    [QI_ISA_AVX512VNNI] = &avx512vnni,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm NEON */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_dwconv)

qi_qu8_dwconv_params qi_qu8_dwconv_params_make(qi_act_domain d, int32_t x_zero_point, int32_t y_zero_point,
                                               int32_t qmin, int32_t qmax, bool is_int8) {
  return (qi_qu8_dwconv_params){qi_act_domain_value(d, x_zero_point, is_int8),
                                qi_act_domain_value(d, y_zero_point, is_int8), qi_act_domain_value(d, qmin, is_int8),
                                qi_act_domain_value(d, qmax, is_int8), qi_act_domain_flip(d, is_int8)};
}
