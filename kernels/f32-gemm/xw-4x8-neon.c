/* qi_f32_gemm_xw_minmax_ukernel_4x8__neon: the xw-simd.h template on 32-bit Arm's 16 q registers, 4 rows x 2
 * vectors of 4 floats (aarch64 takes xw-8x8-neon.c). */
#if !defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_XW_FN qi_f32_gemm_xw_minmax_ukernel_4x8__neon
#define QI_XW_MR 4
#define QI_XW_NV 2
#define QI_XW_MCA_MACS 32
#include "kernels/f32-gemm/xw-simd.h"
#endif /* !__aarch64__ */
