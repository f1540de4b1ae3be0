/* The SIMD reductions on AVX-512 F: qi_f32_r<kind>_ukernel__avx512f, qi_f32_rd<kind>_ukernel__avx512f (body: reduce-
 * simd.h). */
#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-reduce/reduce-simd.h"
