#include "kernels/isa.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* One entry per ISA path, indexed by qi_isa; a path without its own kernel falls back (qi_isa_fallback). */
static const qi_qu8_gemm_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x4c4__scalar, 4, 4, 1,
                           "qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x4c4__scalar"},
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = {qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2, 4, 8, 2,
                         "qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2"},
    [QI_ISA_AVXVNNI] = {qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni, 6, 16, 1,
                            "qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni"},
    [QI_ISA_AVX512VNNI] = {qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni, 8, 32, 1,
                               "qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni"},
#endif /* x86 */
};

const qi_qu8_gemm_config *qi_qu8_gemm_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel);
  return &configs[isa];
}
