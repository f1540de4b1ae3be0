/* qi_f32_qb4w_gemm_minmax_ukernel_4x8__neon: the w-simd.h template on 32-bit Arm's 16 q registers, panels of
 * 4 rows (one vector of words), one register tile of 4 rows x 2 vectors of B: 8 accumulators. */
#if !defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_QB4W_UNROLL 1 /* compact: see dequant-simd.h */

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_4x8__neon
#define QI_QB4W_W_MV 1
#define QI_QB4W_W_RT 4
#define QI_QB4W_W_NV 2
#include "kernels/f32-gemm-qb4w/w-simd.h"
#endif /* !__aarch64__ */
