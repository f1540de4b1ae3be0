#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-dwconv/dwconv-simd.h"

QI_F32_DWCONV_UKERNEL_DECL(qi_f32_dwconv_minmax_ukernel_5x5__avx512f) {
  qi_f32_dwconv_simd(g, input, weights, bias, output, params, 5, 5);
}
