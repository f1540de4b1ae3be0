#include "kernels/f32-gemm/f32-gemm.h"

/* Every kernel of the family, one entry per tile, both orientations (ukernel and xw_ukernel) in each: ops take
 * one config for both. SIMD entries slot in beside the scalar one inside an #if on the architecture, e.g.
 * avx2_6x16 = {.ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_6x16__avx2), ..., .features = QI_CPU_AVX2}, with
 * [QI_ISA_AVX2] = &avx2_6x16 in the table below. */
static const qi_f32_gemm_config scalar_4x8 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_4x8__scalar),
    .pack = qi_f32_gemm_pack_w,
    .mr = 4,
    .nr = 8,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_4x8__scalar),
    .xw_mr = 4,
    .xw_nr = 8,
    .xw_kr = 1,
    .features = 0,
};

static const qi_f32_gemm_config *const list[] = {&scalar_4x8};

/* Indexed by qi_isa. A path without a kernel of its own (NULL) uses the entry of the next lower path of its
 * family (qi_isa_fallback), ending at scalar. */
static const qi_f32_gemm_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x8,
};

QI_ISA_CONFIG_GETTERS(qi_f32_gemm)
