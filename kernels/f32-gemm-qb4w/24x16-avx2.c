/* qi_f32_qb4w_gemm_minmax_ukernel_24x16__avx2: the w-simd.h template, panels of 24 rows (3 vectors of words),
 * 4 register tiles of 6 rows x 2 vectors of B (12 accumulators, as the FP32 gemm's 6x16) sharing each
 * dequantized chunk. */
#include "kernels/f32-vec/vec-avx2.h"

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_24x16__avx2
#define QI_QB4W_W_MV 3
#define QI_QB4W_W_RT 6
#define QI_QB4W_W_NV 2
#include "kernels/f32-gemm-qb4w/w-simd.h"
