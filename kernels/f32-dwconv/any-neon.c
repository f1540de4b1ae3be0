/* qi_f32_dwconv_minmax_ukernel_any__neon: dwconv-simd.h on NEON's 4 lanes (aarch64 and 32-bit Arm), any window. */
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-dwconv/dwconv-simd.h"

QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_any__neon) {
  qi_f32_dwconv_simd(g, input, weights, bias, output, params, g->kernel_h, g->kernel_w);
}
