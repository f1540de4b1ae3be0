#include <assert.h>

#include "kernels/f32-vunary/vunary.h"

/* AVX2 / NEON tables slot in beside the scalar one and are picked in qi_f32_vunary_config_get. */
static const qi_f32_vunary_ukernel_fn scalar_kernels[QI_VUNARY_COUNT] = {
    [QI_VUNARY_ABS] = qi_f32_vabs_ukernel__scalar,
    [QI_VUNARY_NEG] = qi_f32_vneg_ukernel__scalar,
    [QI_VUNARY_SQRT] = qi_f32_vsqrt_ukernel__scalar,
    [QI_VUNARY_EXP] = qi_f32_vexp_ukernel__scalar,
    [QI_VUNARY_LOG] = qi_f32_vlog_ukernel__scalar,
    [QI_VUNARY_RECIPROCAL] = qi_f32_vrecip_ukernel__scalar,
    [QI_VUNARY_FLOOR] = qi_f32_vfloor_ukernel__scalar,
    [QI_VUNARY_CEIL] = qi_f32_vceil_ukernel__scalar,
    [QI_VUNARY_ROUND] = qi_f32_vround_ukernel__scalar,
    [QI_VUNARY_SIGN] = qi_f32_vsign_ukernel__scalar,
    [QI_VUNARY_RELU] = qi_f32_vrelu_ukernel__scalar,
    [QI_VUNARY_LEAKY_RELU] = qi_f32_vlrelu_ukernel__scalar,
    [QI_VUNARY_CLAMP] = qi_f32_vclamp_ukernel__scalar,
    [QI_VUNARY_SIGMOID] = qi_f32_vsigmoid_ukernel__scalar,
    [QI_VUNARY_HARD_SIGMOID] = qi_f32_vhardsigmoid_ukernel__scalar,
    [QI_VUNARY_HARD_SWISH] = qi_f32_vhardswish_ukernel__scalar,
    [QI_VUNARY_TANH] = qi_f32_vtanh_ukernel__scalar,
    [QI_VUNARY_ERF] = qi_f32_verf_ukernel__scalar,
    [QI_VUNARY_GELU] = qi_f32_vgelu_ukernel__scalar,
    [QI_VUNARY_GELU_TANH] = qi_f32_vgelutanh_ukernel__scalar,
    [QI_VUNARY_SOFTPLUS] = qi_f32_vsoftplus_ukernel__scalar,
    [QI_VUNARY_SOFTSIGN] = qi_f32_vsoftsign_ukernel__scalar,
    [QI_VUNARY_ELU] = qi_f32_velu_ukernel__scalar,
    [QI_VUNARY_SELU] = qi_f32_vselu_ukernel__scalar,
    [QI_VUNARY_CELU] = qi_f32_vcelu_ukernel__scalar,
    [QI_VUNARY_THRESHOLDED_RELU] = qi_f32_vthresholdedrelu_ukernel__scalar,
    [QI_VUNARY_MISH] = qi_f32_vmish_ukernel__scalar,
    [QI_VUNARY_SIN] = qi_f32_vsin_ukernel__scalar,
    [QI_VUNARY_COS] = qi_f32_vcos_ukernel__scalar,
    [QI_VUNARY_TAN] = qi_f32_vtan_ukernel__scalar,
    [QI_VUNARY_SQR] = qi_f32_vsqr_ukernel__scalar,
};

qi_f32_vunary_ukernel_fn qi_f32_vunary_config_get(qi_vunary_op op, qi_isa isa) {
  assert(op >= 0 && op < QI_VUNARY_COUNT);
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return scalar_kernels[op];
}
