#include "kernels/f32-pool/f32-pool.h"

static const qi_f32_pool_config scalar_config = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__scalar),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__scalar),
    .maxpool_nd = QI_KERNEL(qi_f32_maxpool_ukernel_nd__scalar),
    .avgpool_nd = QI_KERNEL(qi_f32_avgpool_ukernel_nd__scalar),
    .lppool_nd = QI_KERNEL(qi_f32_lppool_ukernel_nd__scalar),
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__scalar),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__scalar),
    .features = 0,
};

const qi_f32_pool_config *qi_f32_pool_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_config;
}
