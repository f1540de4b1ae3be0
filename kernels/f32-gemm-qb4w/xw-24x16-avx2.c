/* qi_f32_qb4w_gemm_xw_minmax_ukernel_24x16__avx2: the xw-simd.h template, 4 register tiles of
 * 6 rows x 2 vectors of 8 floats (12 accumulators) sharing each dequantized chunk. */
#include "kernels/f32-vec/vec-avx2.h"

#define QI_QB4W_XW_FN qi_f32_qb4w_gemm_xw_minmax_ukernel_24x16__avx2
#define QI_QB4W_XW_MR 6
#define QI_QB4W_XW_NV 2
#define QI_QB4W_XW_TILES 4
#include "kernels/f32-gemm-qb4w/xw-simd.h"
