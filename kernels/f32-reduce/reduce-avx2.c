/* The SIMD reductions on AVX2 + FMA: qi_f32_r<kind>_ukernel__avx2, qi_f32_rd<kind>_ukernel__avx2 (body: reduce-
 * simd.h). */
#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-reduce/reduce-simd.h"
