/* qi_f32_qb4w_gemm_xw_minmax_ukernel_32x8__neon: the xw-simd.h template on aarch64's q registers, 4 register
 * tiles of 8 rows x 2 vectors of 4 floats: 16 accumulators of the 32 registers. (armv7 takes xw-16x8-neon.c.) */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_QB4W_UNROLL 1 /* compact: see dequant-simd.h */

#define QI_QB4W_XW_FN qi_f32_qb4w_gemm_xw_minmax_ukernel_32x8__neon
#define QI_QB4W_XW_MR 8
#define QI_QB4W_XW_NV 2
#define QI_QB4W_XW_TILES 4
#include "kernels/f32-gemm-qb4w/xw-simd.h"
#endif /* __aarch64__ */
