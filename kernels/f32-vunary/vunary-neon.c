/* The SIMD unary kernels on NEON: qi_f32_v<op>_ukernel__neon (body: vunary-simd.h, 4 lanes), aarch64 only: on
 * 32-bit Arm vec-neon.h's division, square root and rounding are lane by lane or the 2^23 trick and NEON
 * arithmetic flushes denormals to zero, so armv7 keeps the scalar kernels (docs/kernels.md). */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-vunary/vunary-simd.h"
#else
typedef int qi_f32_vunary_neon_aarch64_only; /* ISO C: no empty translation unit */
#endif /* __aarch64__ */
