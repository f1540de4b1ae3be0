/* The SIMD binary kernels on AVX-512 F: qi_f32_v<op>[c]_ukernel__avx512f, qi_f32_vr<op>c_ukernel__avx512f (body:
 * vbinary-simd.h). */
#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-vbinary/vbinary-simd.h"
