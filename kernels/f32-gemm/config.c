#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/isa.h"

/* One entry per ISA path, indexed by qi_isa. A path without a kernel of its own (NULL ukernel) uses the
 * entry of the next lower path of its family (qi_isa_fallback), ending at scalar. SIMD kernels slot in here,
 * e.g. [QI_ISA_AVX2] = {qi_f32_gemm_minmax_ukernel_6x16__avx2, ...} inside an #if on the architecture.
 * An entry fills both orientations (ukernel and xw_ukernel): ops take one config for both. */
static const qi_f32_gemm_config configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = {.ukernel = qi_f32_gemm_minmax_ukernel_4x8__scalar,
                           .pack = qi_f32_gemm_pack_w,
                           .mr = 4,
                           .nr = 8,
                           .kr = 1,
                           .name = "qi_f32_gemm_minmax_ukernel_4x8__scalar",
                           .xw_ukernel = qi_f32_gemm_xw_minmax_ukernel_4x8__scalar,
                           .xw_mr = 4,
                           .xw_nr = 8,
                           .xw_kr = 1,
                           .xw_name = "qi_f32_gemm_xw_minmax_ukernel_4x8__scalar"},
};

const qi_f32_gemm_config *qi_f32_gemm_config_get(qi_isa isa) {
  QI_ISA_CONFIG_PICK(configs, isa, ukernel);
  return &configs[isa];
}
