/* The SIMD reductions on NEON (aarch64 and armv7 + VFPv4): qi_f32_r<kind>_ukernel__neon,
 * qi_f32_rd<kind>_ukernel__neon (body: reduce-simd.h, 4 lanes). */
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-reduce/reduce-simd.h"
