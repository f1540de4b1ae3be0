#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

/* Every kernel of the family, one entry per ISA, both orientations (ukernel and xw_ukernel) in each. The SIMD
 * entries are the w-simd.h / xw-simd.h templates on each ISA's vectors; the AVX-512 F one fills the avx512vnni
 * slot (no path sits between avx2 and it) and needs only QI_CPU_AVX512, as in kernels/f32-gemm. */
static const qi_f32_gemm_qb4w_config scalar_4x4 = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_4x4__scalar),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_4x4__scalar),
    .features = 0,
    .mr = 4,
    .nr = 4,
    .xw_mr = 4,
    .xw_nr = 4,
};

#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_gemm_qb4w_config avx2 = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_24x16__avx2),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_24x16__avx2),
    .features = QI_CPU_AVX2,
    .mr = 24,
    .nr = 16,
    .xw_mr = 24,
    .xw_nr = 16,
};
static const qi_f32_gemm_qb4w_config avx512f = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_16x32__avx512f),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_32x32__avx512f),
    .features = QI_CPU_AVX512,
    .mr = 16,
    .nr = 32,
    .xw_mr = 32,
    .xw_nr = 32,
};
#endif /* x86 */
/* NEON: 8-row tiles on aarch64 (32 q registers), 4-row ones on 32-bit Arm (16). */
#if defined(__aarch64__)
static const qi_f32_gemm_qb4w_config neon = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_8x8__neon),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_32x8__neon),
    .features = QI_CPU_NEON,
    .mr = 8,
    .nr = 8,
    .xw_mr = 32,
    .xw_nr = 8,
};
#elif defined(__ARM_NEON)
static const qi_f32_gemm_qb4w_config neon = {
    .ukernel = QI_KERNEL(qi_f32_qb4w_gemm_minmax_ukernel_4x8__neon),
    .xw_ukernel = QI_KERNEL(qi_f32_qb4w_gemm_xw_minmax_ukernel_16x8__neon),
    .features = QI_CPU_NEON,
    .mr = 4,
    .nr = 8,
    .xw_mr = 16,
    .xw_nr = 8,
};
#endif /* Arm */

static const qi_f32_gemm_qb4w_config *const list[] = {
    &scalar_4x4,
#if defined(__x86_64__) || defined(__i386__)
    &avx2,
    &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm */
};

/* Indexed by qi_isa. A path without a kernel of its own (NULL) uses the entry of the next lower path of its
 * family (qi_isa_fallback), ending at scalar. */
static const qi_f32_gemm_qb4w_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_gemm_qb4w)
