#include "kernels/isa.h"
#include "kernels/qu8-quantize/qu8-quantize.h"

static const qi_qu8_quantize_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {qi_qu8_quantize_ukernel__scalar, qi_qu8_dequantize_ukernel__scalar,
                           "qi_qu8_quantize_ukernel__scalar", "qi_qu8_dequantize_ukernel__scalar"},
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
    [QI_ISA_AVX2] = {qi_qu8_quantize_ukernel__avx2, qi_qu8_dequantize_ukernel__avx2,
                         "qi_qu8_quantize_ukernel__avx2", "qi_qu8_dequantize_ukernel__avx2"},
#endif /* x86 */
};

const qi_qu8_quantize_config *qi_qu8_quantize_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, quantize);
  return &configs[isa];
}

qi_qu8_quantize_params qi_qu8_quantize_params_make(float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                                                   int is_int8) {
  const int32_t off = is_int8 ? 128 : 0;
  return (qi_qu8_quantize_params){.scale = scale, .zero_point = zero_point + off, .qmin = qmin + off,
                                  .qmax = qmax + off, .sign_flip = is_int8 ? 0x80 : 0};
}
