/* The SIMD unary kernels on AVX-512 F + FMA: qi_f32_v<op>_ukernel__avx512f (body: vunary-simd.h). */
#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-vunary/vunary-simd.h"
