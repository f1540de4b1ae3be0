#include "kernels/f32-pool/f32-pool.h"

static const qi_f32_pool_config scalar = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__scalar),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__scalar),
    .maxpool_nd = QI_KERNEL(qi_f32_maxpool_ukernel_nd__scalar),
    .avgpool_nd = QI_KERNEL(qi_f32_avgpool_ukernel_nd__scalar),
    .lppool_nd = QI_KERNEL(qi_f32_lppool_ukernel_nd__scalar),
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__scalar),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__scalar),
    .features = 0,
};

static const qi_f32_pool_config *const list[] = {&scalar};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_pool_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
};

QI_ISA_CONFIG_GETTERS(qi_f32_pool)
