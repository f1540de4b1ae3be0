/* qi_f32_gemm_xw_minmax_ukernel_8x32__avx512f: the xw-simd.h template, 8 rows x 2 vectors of QV_N floats. */
#include "kernels/f32-vec/vec-avx512f.h"

#define QI_XW_FN qi_f32_gemm_xw_minmax_ukernel_8x32__avx512f
#define QI_XW_MR 8
#define QI_XW_NV 2
#include "kernels/f32-gemm/xw-simd.h"
