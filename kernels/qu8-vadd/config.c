#include <math.h>

#include "kernels/qu8-vadd/qu8-vadd.h"

static const qi_qu8_vadd_config scalar = {.vadd = QI_KERNEL(qi_qu8_vadd_minmax_ukernel__scalar),
                                          .vaddc = QI_KERNEL(qi_qu8_vaddc_minmax_ukernel__scalar),
                                          .features = 0,
                                          .x_domain = QI_ACT_DOMAIN_NATIVE,
                                          .init_params = qi_qu8_add_params_init};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_vadd_config avx2 = {.vadd = QI_KERNEL(qi_qu8_vadd_minmax_ukernel__avx2),
                                        .vaddc = QI_KERNEL(qi_qu8_vaddc_minmax_ukernel__avx2),
                                        .features = QI_CPU_AVX2,
                                        .x_domain = QI_ACT_DOMAIN_NATIVE,
                                        .init_params = qi_qu8_add_params_init};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_vadd_config neon = {.vadd = QI_KERNEL(qi_qu8_vadd_minmax_ukernel__neon),
                                        .vaddc = QI_KERNEL(qi_qu8_vaddc_minmax_ukernel__neon),
                                        .features = QI_CPU_NEON,
                                        .x_domain = QI_ACT_DOMAIN_NATIVE,
                                        .init_params = qi_qu8_add_params_init};
#endif /* ARM */

static const qi_qu8_vadd_config *const list[] = {
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
static const qi_qu8_vadd_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* ARM */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_vadd)

void qi_qu8_add_params_init(qi_qu8_add_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                            int is_int8, int float_path, int swapped) {
  p->a_ratio = a_scale / y_scale;
  p->b_ratio = b_scale / y_scale;
  /* ONNX Runtime's y_zp - (ra * a_zp + rb * b_zp), as its build computes it: the first product fused */
  p->fixed = (float)y_zero_point - fmaf(p->a_ratio, (float)a_zero_point, p->b_ratio * (float)b_zero_point);
  p->a_scale = a_scale;
  p->b_scale = b_scale;
  p->y_scale = y_scale;
  p->a_zero_point = a_zero_point;
  p->b_zero_point = b_zero_point;
  p->y_zero_point = y_zero_point;
  p->qmin = qmin;
  p->qmax = qmax;
  p->is_int8 = is_int8 != 0;
  p->float_path = float_path != 0;
  if (swapped) {
    float f = p->a_ratio;
    p->a_ratio = p->b_ratio, p->b_ratio = f;
    f = p->a_scale;
    p->a_scale = p->b_scale, p->b_scale = f;
    const int32_t z = p->a_zero_point;
    p->a_zero_point = p->b_zero_point, p->b_zero_point = z;
  }
}
