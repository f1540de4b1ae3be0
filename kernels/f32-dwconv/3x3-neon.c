/* qi_f32_dwconv_minmax_ukernel_3x3__neon: dwconv-simd.h on NEON's 4 lanes (aarch64 and 32-bit Arm). */
#include "kernels/f32-vec/vec-neon.h"

#define QI_DWCONV_MCA_FN qi_f32_dwconv_minmax_ukernel_3x3__neon
#define QI_DWCONV_MCA_MACS 36 /* 3 * 3 taps x 4 outputs */
#include "kernels/f32-dwconv/dwconv-simd.h"

QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_3x3__neon) {
  qi_f32_dwconv_simd(g, input, weights, bias, output, params, 3, 3);
}
