/* qi_f32_qb4w_gemm_xw_minmax_ukernel_32x32__avx512f: the xw-simd.h template, 4 register tiles of
 * 8 rows x 2 vectors of 16 floats.
 * Not run on the AVX2-only development CPU: the same template runs there on the 16-lane emulated vector of
 * tests/unit/vec-emu16.h at this tile (test_f32_gemm_qb4w). */
#include "kernels/f32-vec/vec-avx512f.h"

#define QI_QB4W_XW_FN qi_f32_qb4w_gemm_xw_minmax_ukernel_32x32__avx512f
#define QI_QB4W_XW_MR 8
#define QI_QB4W_XW_NV 2
#define QI_QB4W_XW_TILES 4
#include "kernels/f32-gemm-qb4w/xw-simd.h"
