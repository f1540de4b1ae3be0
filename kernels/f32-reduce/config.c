#include "kernels/f32-reduce/reduce.h"

/* AVX2 / NEON tables slot in beside the scalar one and are picked in qi_f32_reduce_config_get. */
static const qi_f32_reduce_config scalar_config = {
    .r =
        {
            [QI_REDUCE_SUM] = qi_f32_rsum_ukernel__scalar,
            [QI_REDUCE_SUMSQ] = qi_f32_rsumsq_ukernel__scalar,
            [QI_REDUCE_SUMABS] = qi_f32_rsumabs_ukernel__scalar,
            [QI_REDUCE_MAX] = qi_f32_rmax_ukernel__scalar,
            [QI_REDUCE_MIN] = qi_f32_rmin_ukernel__scalar,
            [QI_REDUCE_PROD] = qi_f32_rprod_ukernel__scalar,
        },
    .rd =
        {
            [QI_REDUCE_SUM] = qi_f32_rdsum_ukernel__scalar,
            [QI_REDUCE_SUMSQ] = qi_f32_rdsumsq_ukernel__scalar,
            [QI_REDUCE_SUMABS] = qi_f32_rdsumabs_ukernel__scalar,
            [QI_REDUCE_MAX] = qi_f32_rdmax_ukernel__scalar,
            [QI_REDUCE_MIN] = qi_f32_rdmin_ukernel__scalar,
            [QI_REDUCE_PROD] = qi_f32_rdprod_ukernel__scalar,
        },
    .rsumexp = qi_f32_rsumexp_ukernel__scalar,
    .rdsumexp = qi_f32_rdsumexp_ukernel__scalar,
};

const qi_f32_reduce_config *qi_f32_reduce_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_config;
}
