#include "kernels/qu8-vmul/qu8-vmul.h"

static const qi_qu8_vmul_config scalar = {.vmul = QI_KERNEL(qi_qu8_vmul_minmax_ukernel__scalar),
                                          .vmulc = QI_KERNEL(qi_qu8_vmulc_minmax_ukernel__scalar),
                                          .features = 0,
                                          .x_domain = QI_ACT_DOMAIN_U8,
                                          .init_params = qi_qu8_mul_params_init};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_vmul_config avx2 = {.vmul = QI_KERNEL(qi_qu8_vmul_minmax_ukernel__avx2),
                                        .vmulc = QI_KERNEL(qi_qu8_vmulc_minmax_ukernel__avx2),
                                        .features = QI_CPU_AVX2,
                                        .x_domain = QI_ACT_DOMAIN_U8,
                                        .init_params = qi_qu8_mul_params_init};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_vmul_config neon = {.vmul = QI_KERNEL(qi_qu8_vmul_minmax_ukernel__neon),
                                        .vmulc = QI_KERNEL(qi_qu8_vmulc_minmax_ukernel__neon),
                                        .features = QI_CPU_NEON,
                                        .x_domain = QI_ACT_DOMAIN_U8,
                                        .init_params = qi_qu8_mul_params_init};
#endif /* ARM */

static const qi_qu8_vmul_config *const list[] = {
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
static const qi_qu8_vmul_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* ARM */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_vmul)

void qi_qu8_mul_params_init(qi_qu8_mul_params *p, qi_act_domain d, float a_scale, int32_t a_zero_point,
                            float b_scale, int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin,
                            int32_t qmax, int is_int8) {
  p->a_zero_point = qi_act_domain_value(d, a_zero_point, is_int8);
  p->b_zero_point = qi_act_domain_value(d, b_zero_point, is_int8);
  p->scale = (a_scale * b_scale) / y_scale;
  p->y_zero_point = qi_act_domain_value(d, y_zero_point, is_int8);
  p->qmin = qi_act_domain_value(d, qmin, is_int8);
  p->qmax = qi_act_domain_value(d, qmax, is_int8);
  p->sign_flip = qi_act_domain_flip(d, is_int8);
}
