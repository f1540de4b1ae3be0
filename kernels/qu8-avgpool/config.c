#include "kernels/qu8-avgpool/qu8-avgpool.h"

static const qi_qu8_avgpool_config scalar = {.gavgpool = QI_KERNEL(qi_qu8_gavgpool_ukernel__scalar),
                                             .gavgpool_nwc = QI_KERNEL(qi_qu8_gavgpool_nwc_ukernel__scalar),
                                             .avgpool2d = QI_KERNEL(qi_qu8_avgpool2d_chw_ukernel__scalar),
                                             .avgpool_nd = QI_KERNEL(qi_qu8_avgpool_ukernel_nd__scalar),
                                             .features = 0,
                                             .x_domain = QI_ACT_DOMAIN_U8,
                                             .init_params = qi_qu8_avgpool_params_make};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_avgpool_config avx2 = {.gavgpool = QI_KERNEL(qi_qu8_gavgpool_ukernel__avx2),
                                           .gavgpool_nwc = QI_KERNEL(qi_qu8_gavgpool_nwc_ukernel__avx2),
                                           .avgpool2d = QI_KERNEL(qi_qu8_avgpool2d_chw_ukernel__avx2),
                                           .avgpool_nd = QI_KERNEL(qi_qu8_avgpool_ukernel_nd__scalar),
                                           .features = QI_CPU_AVX2,
                                           .x_domain = QI_ACT_DOMAIN_U8,
                                           .init_params = qi_qu8_avgpool_params_make};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_avgpool_config neon = {.gavgpool = QI_KERNEL(qi_qu8_gavgpool_ukernel__neon),
                                           .gavgpool_nwc = QI_KERNEL(qi_qu8_gavgpool_nwc_ukernel__neon),
                                           .avgpool2d = QI_KERNEL(qi_qu8_avgpool2d_chw_ukernel__neon),
                                           .avgpool_nd = QI_KERNEL(qi_qu8_avgpool_ukernel_nd__scalar),
                                           .features = QI_CPU_NEON,
                                           .x_domain = QI_ACT_DOMAIN_U8,
                                           .init_params = qi_qu8_avgpool_params_make};
#endif /* Arm NEON */

static const qi_qu8_avgpool_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm NEON */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar). */
static const qi_qu8_avgpool_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm NEON */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_avgpool)

qi_qu8_avgpool_params qi_qu8_avgpool_params_make(qi_act_domain d, float x_scale, int32_t x_zero_point,
                                                 float y_scale, int32_t y_zero_point, bool is_int8) {
  return (qi_qu8_avgpool_params){.x_zero_point = qi_act_domain_value(d, x_zero_point, is_int8),
                                 .y_zero_point = qi_act_domain_value(d, y_zero_point, is_int8),
                                 .qmin = qi_act_domain_value(d, is_int8 ? INT8_MIN : 0, is_int8),
                                 .qmax = qi_act_domain_value(d, is_int8 ? INT8_MAX : UINT8_MAX, is_int8),
                                 .sign_flip = qi_act_domain_flip(d, is_int8),
                                 .x_scale = x_scale,
                                 .y_scale = y_scale};
}
