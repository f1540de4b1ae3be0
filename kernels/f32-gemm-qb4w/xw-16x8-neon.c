/* qi_f32_qb4w_gemm_xw_minmax_ukernel_16x8__neon: the xw-simd.h template on 32-bit Arm's 16 q registers, 4 register
 * tiles of 4 rows x 2 vectors of 4 floats: 8 accumulators (aarch64 takes xw-32x8-neon.c). */
#if !defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_QB4W_UNROLL 1 /* compact: see dequant-simd.h */

#define QI_QB4W_XW_FN qi_f32_qb4w_gemm_xw_minmax_ukernel_16x8__neon
#define QI_QB4W_XW_MR 4
#define QI_QB4W_XW_NV 2
#define QI_QB4W_XW_TILES 4
#include "kernels/f32-gemm-qb4w/xw-simd.h"
#endif /* !__aarch64__ */
