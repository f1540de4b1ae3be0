/* The SIMD unary kernels on AVX2 + FMA: qi_f32_v<op>_ukernel__avx2 (body: vunary-simd.h). */
#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-vunary/vunary-simd.h"
