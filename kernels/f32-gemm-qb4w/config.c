#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

/* Every kernel of the family, one entry per ISA, both orientations (ukernel and xw_ukernel) in each. */
static const qi_f32_gemm_qb4w_config scalar_4x4 = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_4x4__scalar),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_4x4__scalar),
    .features = 0,
    .mr = 4,
    .nr = 4,
    .xw_mr = 4,
    .xw_nr = 4,
};

static const qi_f32_gemm_qb4w_config *const list[] = {
    &scalar_4x4,
};

/* Indexed by qi_isa. A path without a kernel of its own (NULL) uses the entry of the next lower path of its
 * family (qi_isa_fallback), ending at scalar. */
static const qi_f32_gemm_qb4w_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4,
};

QI_ISA_CONFIG_GETTERS(qi_f32_gemm_qb4w)
