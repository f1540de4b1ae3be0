/* The SIMD binary kernels on AVX2 + FMA: qi_f32_v<op>[c]_ukernel__avx2, qi_f32_vr<op>c_ukernel__avx2 (body: vbinary-
 * simd.h). */
#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-vbinary/vbinary-simd.h"
