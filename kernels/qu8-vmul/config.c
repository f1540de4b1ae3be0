#include "kernels/isa.h"
#include "kernels/qu8-vmul/qu8-vmul.h"

static const qi_qu8_vmul_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {qi_qu8_vmul_minmax_ukernel__scalar, qi_qu8_vmulc_minmax_ukernel__scalar,
                           "qi_qu8_vmul_minmax_ukernel__scalar", "qi_qu8_vmulc_minmax_ukernel__scalar"},
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
    [QI_ISA_AVX2] = {qi_qu8_vmul_minmax_ukernel__avx2, qi_qu8_vmulc_minmax_ukernel__avx2,
                         "qi_qu8_vmul_minmax_ukernel__avx2", "qi_qu8_vmulc_minmax_ukernel__avx2"},
#endif /* x86 */
};

const qi_qu8_vmul_config *qi_qu8_vmul_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, vmul);
  return &configs[isa];
}

void qi_qu8_mul_params_init(qi_qu8_mul_params *p, float a_scale, int32_t a_zero_point, float b_scale,
                            int32_t b_zero_point, float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                            int is_int8) {
  const int32_t off = is_int8 ? 128 : 0;
  p->a_zero_point = a_zero_point + off;
  p->b_zero_point = b_zero_point + off;
  p->scale = (a_scale * b_scale) / y_scale;
  p->y_zero_point = y_zero_point + off;
  p->qmin = qmin + off;
  p->qmax = qmax + off;
  p->sign_flip = is_int8 ? 0x80 : 0;
}
