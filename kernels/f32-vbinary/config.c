#include <assert.h>

#include "kernels/f32-vbinary/vbinary.h"
#include "kernels/isa.h"

/* One row per op and path; AVX2 / NEON tables slot in beside the scalar one and are picked in
 * qi_f32_vbinary_config_get. Commutative ops reuse opc as ropc. */
static const qi_f32_vbinary_config scalar_configs[QI_VBINARY_COUNT] = {
    [QI_VBINARY_ADD] = {qi_f32_vadd_ukernel__scalar, qi_f32_vaddc_ukernel__scalar, qi_f32_vaddc_ukernel__scalar},
    [QI_VBINARY_SUB] = {qi_f32_vsub_ukernel__scalar, qi_f32_vsubc_ukernel__scalar, qi_f32_vrsubc_ukernel__scalar},
    [QI_VBINARY_MUL] = {qi_f32_vmul_ukernel__scalar, qi_f32_vmulc_ukernel__scalar, qi_f32_vmulc_ukernel__scalar},
    [QI_VBINARY_DIV] = {qi_f32_vdiv_ukernel__scalar, qi_f32_vdivc_ukernel__scalar, qi_f32_vrdivc_ukernel__scalar},
    [QI_VBINARY_MAX] = {qi_f32_vmax_ukernel__scalar, qi_f32_vmaxc_ukernel__scalar, qi_f32_vmaxc_ukernel__scalar},
    [QI_VBINARY_MIN] = {qi_f32_vmin_ukernel__scalar, qi_f32_vminc_ukernel__scalar, qi_f32_vminc_ukernel__scalar},
    [QI_VBINARY_POW] = {qi_f32_vpow_ukernel__scalar, qi_f32_vpowc_ukernel__scalar, qi_f32_vrpowc_ukernel__scalar},
    [QI_VBINARY_PRELU] = {qi_f32_vprelu_ukernel__scalar, qi_f32_vpreluc_ukernel__scalar,
                          qi_f32_vrpreluc_ukernel__scalar},
    [QI_VBINARY_MOD] = {qi_f32_vmod_ukernel__scalar, qi_f32_vmodc_ukernel__scalar, qi_f32_vrmodc_ukernel__scalar},
};

const qi_f32_vbinary_config *qi_f32_vbinary_config_get(qi_vbinary_op op, qi_isa isa) {
  assert(op >= 0 && op < QI_VBINARY_COUNT);
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_configs[op];
}
