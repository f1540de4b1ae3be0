#include "kernels/qs16-gemm/qs16-gemm.h"

static const qi_qs16_gemm_config scalar_4x4c2 = {
    .ukernel = QI_KERNEL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x4c2__scalar), .features = 0, .mr = 4, .nr = 4};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qs16_gemm_config avx2_4x8c2 = {
    .ukernel = QI_KERNEL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__avx2), .features = QI_CPU_AVX2, .mr = 4,
    .nr = 8};
static const qi_qs16_gemm_config avx2_8x8c2 = {
    .ukernel = QI_KERNEL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_8x8c2__avx2), .features = QI_CPU_AVX2, .mr = 8,
    .nr = 8};
#endif /* x86 */
#if defined(__aarch64__)
static const qi_qs16_gemm_config neon_4x8c2 = {
    .ukernel = QI_KERNEL(qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__neon), .features = QI_CPU_NEON, .mr = 4,
    .nr = 8};
#endif /* __aarch64__ */

static const qi_qs16_gemm_config *const list[] = {
    &scalar_4x4c2,
#if defined(__x86_64__) || defined(__i386__)
    &avx2_4x8c2, &avx2_8x8c2,
#endif /* x86 */
#if defined(__aarch64__)
    &neon_4x8c2,
#endif /* __aarch64__ */
};

/* Indexed by qi_isa; a path without its own kernel falls back (qi_isa_fallback): AVX-VNNI and AVX-512 VNNI to
 * AVX2, aarch64's dot-product and i8mm paths to NEON, armv7 to scalar. */
static const qi_qs16_gemm_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4c2,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2_8x8c2, /* 8 int32 accumulators of 16 ymm: 5-10 % faster than 4x8 on Zen 3 */
#endif /* x86 */
#if defined(__aarch64__)
    [QI_ISA_NEON] = &neon_4x8c2,
#endif /* __aarch64__ */
};

QI_ISA_CONFIG_GETTERS(qi_qs16_gemm)
