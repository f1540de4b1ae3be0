#include "kernels/qu8-quantize/qu8-quantize.h"

static const qi_qu8_quantize_config scalar = {.quantize = QI_KERNEL(qi_qu8_quantize_ukernel__scalar),
                                              .dequantize = QI_KERNEL(qi_qu8_dequantize_ukernel__scalar),
                                              .features = 0,
                                              .x_domain = QI_ACT_DOMAIN_U8,
                                              .init_params = qi_qu8_quantize_params_make};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_quantize_config avx2 = {.quantize = QI_KERNEL(qi_qu8_quantize_ukernel__avx2),
                                            .dequantize = QI_KERNEL(qi_qu8_dequantize_ukernel__avx2),
                                            .features = QI_CPU_AVX2,
                                            .x_domain = QI_ACT_DOMAIN_U8,
                                            .init_params = qi_qu8_quantize_params_make};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_quantize_config neon = {.quantize = QI_KERNEL(qi_qu8_quantize_ukernel__neon),
                                            .dequantize = QI_KERNEL(qi_qu8_dequantize_ukernel__neon),
                                            .features = QI_CPU_NEON,
                                            .x_domain = QI_ACT_DOMAIN_U8,
                                            .init_params = qi_qu8_quantize_params_make};
#endif /* ARM */

static const qi_qu8_quantize_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* ARM */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar). */
static const qi_qu8_quantize_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* ARM */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_quantize)

qi_qu8_quantize_params qi_qu8_quantize_params_make(qi_act_domain d, float scale, int32_t zero_point, int32_t qmin,
                                                   int32_t qmax, int is_int8) {
  return (qi_qu8_quantize_params){.scale = scale,
                                  .zero_point = qi_act_domain_value(d, zero_point, is_int8),
                                  .qmin = qi_act_domain_value(d, qmin, is_int8),
                                  .qmax = qi_act_domain_value(d, qmax, is_int8),
                                  .sign_flip = qi_act_domain_flip(d, is_int8)};
}
