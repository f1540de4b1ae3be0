/* qi_f32_qb4w_gemm_minmax_ukernel_16x16__avx512f: the w-simd.h template, 16 rows (one vector of words) x 1 vector
 * of B: 16 accumulators. Not run on the AVX2-only development CPU: the same template runs there on the 16-lane
 * emulated vector of tests/unit/vec-emu16.h at this tile (test_f32_gemm_qb4w). */
#include "kernels/f32-vec/vec-avx512f.h"

#define QI_QB4W_W_FN qi_f32_qb4w_gemm_minmax_ukernel_16x16__avx512f
#define QI_QB4W_W_MV 1
#define QI_QB4W_W_NV 1
#include "kernels/f32-gemm-qb4w/w-simd.h"
