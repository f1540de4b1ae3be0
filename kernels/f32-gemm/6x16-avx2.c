/* qi_f32_gemm_minmax_ukernel_6x16__avx2: the gemm-simd.h template, 6 rows x 2 vectors of QV_N floats. */
#include "kernels/f32-vec/vec-avx2.h"

#define QI_GEMM_FN qi_f32_gemm_minmax_ukernel_6x16__avx2
#define QI_GEMM_MR 6
#define QI_GEMM_NV 2
#include "kernels/f32-gemm/gemm-simd.h"
