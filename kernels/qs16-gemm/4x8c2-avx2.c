/* W8A16 gemm, AVX2: 4 rows x 8 columns, k in pairs. The body: kernels/qs16-gemm/gemm-avx2.h. */
#define MR 4
#define NB 1
#define FN qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__avx2
#include "kernels/qs16-gemm/gemm-avx2.h"
