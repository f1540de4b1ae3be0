/* qi_f32_qb4w_gemm_minmax_ukernel_8x8__neon: the w-simd.h template on aarch64's q registers, panels of 8 rows
 * (2 vectors of words), one register tile of 8 rows x 2 vectors of B: 16 accumulators of the 32 registers. */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_QB4W_UNROLL 1 /* compact: see dequant-simd.h */

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_8x8__neon
#define QI_QB4W_W_MV 2
#define QI_QB4W_W_RT 8
#define QI_QB4W_W_NV 2
#include "kernels/f32-gemm-qb4w/w-simd.h"
#endif /* __aarch64__ */
