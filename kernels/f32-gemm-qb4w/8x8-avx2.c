/* qi_f32_qb4w_gemm_minmax_ukernel_8x8__avx2: the w-simd.h template, 8 rows (one vector of words) x 1 vector of B:
 * 8 accumulators, the B vector and the broadcast weight. */
#include "kernels/f32-vec/vec-avx2.h"

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_8x8__avx2
#define QI_QB4W_W_MV 1
#define QI_QB4W_W_NV 1
#include "kernels/f32-gemm-qb4w/w-simd.h"
