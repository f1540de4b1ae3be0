/* qi_f32_gemm_minmax_ukernel_8x8__neon: the gemm-simd.h template on aarch64's q registers, 8 rows x 2 vectors of
 * 4 floats: 16 accumulators, 2 loads of B and 8 broadcast weights fit the 32 registers. (armv7, with 16, takes
 * 4x8-neon.c.) */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_GEMM_FN qi_f32_gemm_minmax_ukernel_8x8__neon
#define QI_GEMM_MR 8
#define QI_GEMM_NV 2
#define QI_GEMM_MCA_MACS 64
#include "kernels/f32-gemm/gemm-simd.h"
#endif /* __aarch64__ */
