/* qi_f32_gemm_minmax_ukernel_4x8__neon: the gemm-simd.h template on 32-bit Arm's 16 q registers, 4 rows x 2
 * vectors of 4 floats: 8 accumulators, 2 loads of B and the broadcast weights (aarch64 takes 8x8-neon.c). */
#if !defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_GEMM_FN qi_f32_gemm_minmax_ukernel_4x8__neon
#define QI_GEMM_MR 4
#define QI_GEMM_NV 2
#define QI_GEMM_MCA_MACS 32
#include "kernels/f32-gemm/gemm-simd.h"
#endif /* !__aarch64__ */
