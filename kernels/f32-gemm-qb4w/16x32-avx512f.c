/* qi_f32_qb4w_gemm_minmax_ukernel_16x32__avx512f: the w-simd.h template, panels of 16 rows (one vector of words),
 * 2 register tiles of 8 rows x 2 vectors of B (16 accumulators). */
#include "kernels/f32-vec/vec-avx512f.h"

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_16x32__avx512f
#define QI_QB4W_W_MV 1
#define QI_QB4W_W_RT 8
#define QI_QB4W_W_NV 2
#include "kernels/f32-gemm-qb4w/w-simd.h"
