#include "kernels/qu8-lut/qu8-lut.h"
#include "kernels/requant.h"

static const qi_qu8_lut_config scalar = {
    .lut = QI_KERNEL(qi_qu8_lut_ukernel__scalar), .features = 0, .x_domain = QI_ACT_DOMAIN_NATIVE,
    .build = qi_qu8_lut_build};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_lut_config avx2 = {
    .lut = QI_KERNEL(qi_qu8_lut_ukernel__avx2), .features = QI_CPU_AVX2, .x_domain = QI_ACT_DOMAIN_NATIVE,
    .build = qi_qu8_lut_build};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_qu8_lut_config neon = {
    .lut = QI_KERNEL(qi_qu8_lut_ukernel__neon), .features = QI_CPU_NEON, .x_domain = QI_ACT_DOMAIN_NATIVE,
    .build = qi_qu8_lut_build};
#endif /* ARM */

static const qi_qu8_lut_config *const list[] = {
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
static const qi_qu8_lut_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* ARM */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_lut)

void qi_qu8_lut_build(uint8_t table[256], qi_vunary_op op, const qi_f32_unary_params *fparams, qi_qu8_lut_side x,
                      qi_qu8_lut_side y, int32_t qmin, int32_t qmax) {
  float v[256];
  for (int b = 0; b < 256; b++) {
    const int32_t q = x.is_int8 ? (int32_t)(int8_t)(uint8_t)b : b;
    v[b] = (float)(q - x.zero_point) * x.scale;
  }
  if (op != QI_VUNARY_COUNT) {
    qi_f32_unary_params none = {0};
    qi_f32_vunary_config_get(op, QI_ISA_SCALAR)->ukernel(256, v, v, fparams ? fparams : &none);
  }
  for (int b = 0; b < 256; b++) table[b] = (uint8_t)qi_quantize_f32(v[b], y.scale, y.zero_point, qmin, qmax);
}
