#include "kernels/f32-gemm/f32-gemm.h"

/* Every kernel of the family, one entry per tile, both orientations (ukernel and xw_ukernel) in each: ops take
 * one config for both. The SIMD entries are the gemm-simd.h / xw-simd.h templates on each ISA's vectors; the
 * AVX-512 F one fills the avx512vnni slot (no path sits between avx2 and it) and needs only QI_CPU_AVX512. */
static const qi_f32_gemm_config scalar_4x8 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_4x8__scalar),
    .pack = qi_f32_gemm_pack_w,
    .mr = 4,
    .nr = 8,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_4x8__scalar),
    .xw_mr = 4,
    .xw_nr = 8,
    .xw_kr = 1,
    .features = 0,
};

#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_gemm_config avx2_6x16 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_6x16__avx2),
    .pack = qi_f32_gemm_pack_w,
    .mr = 6,
    .nr = 16,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_6x16__avx2),
    .xw_mr = 6,
    .xw_nr = 16,
    .xw_kr = 1,
    .features = QI_CPU_AVX2,
};
static const qi_f32_gemm_config avx512f_8x32 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_8x32__avx512f),
    .pack = qi_f32_gemm_pack_w,
    .mr = 8,
    .nr = 32,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_8x32__avx512f),
    .xw_mr = 8,
    .xw_nr = 32,
    .xw_kr = 1,
    .features = QI_CPU_AVX512,
};
#endif /* x86 */
/* NEON: 8x8 on aarch64 (32 q registers), 4x8 on 32-bit Arm (16). */
#if defined(__aarch64__)
static const qi_f32_gemm_config neon_8x8 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_8x8__neon),
    .pack = qi_f32_gemm_pack_w,
    .mr = 8,
    .nr = 8,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_8x8__neon),
    .xw_mr = 8,
    .xw_nr = 8,
    .xw_kr = 1,
    .features = QI_CPU_NEON,
};
#define NEON_CONFIG neon_8x8
#elif defined(__ARM_NEON)
static const qi_f32_gemm_config neon_4x8 = {
    .ukernel = QI_KERNEL(qi_f32_gemm_minmax_ukernel_4x8__neon),
    .pack = qi_f32_gemm_pack_w,
    .mr = 4,
    .nr = 8,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(qi_f32_gemm_xw_minmax_ukernel_4x8__neon),
    .xw_mr = 4,
    .xw_nr = 8,
    .xw_kr = 1,
    .features = QI_CPU_NEON,
};
#define NEON_CONFIG neon_4x8
#endif /* Arm */

static const qi_f32_gemm_config *const list[] = {
    &scalar_4x8,
#if defined(__x86_64__) || defined(__i386__)
    &avx2_6x16,
    &avx512f_8x32,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &NEON_CONFIG,
#endif /* Arm */
};

/* Indexed by qi_isa. A path without a kernel of its own (NULL) uses the entry of the next lower path of its
 * family (qi_isa_fallback), ending at scalar. */
static const qi_f32_gemm_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x8,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2_6x16,
    [QI_ISA_AVX512VNNI] = &avx512f_8x32,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &NEON_CONFIG,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_gemm)
