/* qi_f32_gemm_xw_minmax_ukernel_8x8__neon: the xw-simd.h template on aarch64's q registers, 8 rows x 2 vectors of
 * 4 floats (armv7, with 16 registers, takes xw-4x8-neon.c). */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_XW_FN qi_f32_gemm_xw_minmax_ukernel_8x8__neon
#define QI_XW_MR 8
#define QI_XW_NV 2
#define QI_XW_MCA_MACS 64
#include "kernels/f32-gemm/xw-simd.h"
#endif /* __aarch64__ */
