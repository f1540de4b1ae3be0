#include "kernels/f32-dwconv/f32-dwconv.h"

/* The scalar path has no 5x5 kernel of its own: its any kernel takes 5x5 windows. */
static const qi_f32_dwconv_config scalar = {.ukernel_3x3 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_3x3__scalar),
                                            .ukernel_5x5 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__scalar),
                                            .ukernel_any = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__scalar),
                                            .features = 0};
#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_dwconv_config avx2 = {.ukernel_3x3 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_3x3__avx2),
                                          .ukernel_5x5 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_5x5__avx2),
                                          .ukernel_any = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__avx2),
                                          .features = QI_CPU_AVX2};
/* FP32 zmm kernels in the avx512vnni slot (no path sits between avx2 and avx512vnni; they need no VNNI). */
static const qi_f32_dwconv_config avx512f = {.ukernel_3x3 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_3x3__avx512f),
                                             .ukernel_5x5 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_5x5__avx512f),
                                             .ukernel_any = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__avx512f),
                                             .features = QI_CPU_AVX2 | QI_CPU_AVX512};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_f32_dwconv_config neon = {.ukernel_3x3 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_3x3__neon),
                                          .ukernel_5x5 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_5x5__neon),
                                          .ukernel_any = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__neon),
                                          .features = QI_CPU_NEON};
#endif /* Arm */

static const qi_f32_dwconv_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_dwconv_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_dwconv)
