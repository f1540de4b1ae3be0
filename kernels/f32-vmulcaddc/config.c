#include "kernels/f32-vmulcaddc/vmulcaddc.h"

static const qi_f32_vmulcaddc_config scalar = {
    .ukernel = QI_KERNEL(qi_f32_vmulcaddc_ukernel__scalar),
    .features = 0,
};
#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_vmulcaddc_config avx2 = {
    .ukernel = QI_KERNEL(qi_f32_vmulcaddc_ukernel__avx2),
    .features = QI_CPU_AVX2,
};
/* FP32 zmm kernel in the avx512vnni slot (no path sits between avx2 and avx512vnni; it needs no VNNI). */
static const qi_f32_vmulcaddc_config avx512f = {
    .ukernel = QI_KERNEL(qi_f32_vmulcaddc_ukernel__avx512f),
    .features = QI_CPU_AVX2 | QI_CPU_AVX512,
};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_f32_vmulcaddc_config neon = {
    .ukernel = QI_KERNEL(qi_f32_vmulcaddc_ukernel__neon),
    .features = QI_CPU_NEON,
};
#endif /* Arm */

static const qi_f32_vmulcaddc_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_vmulcaddc_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_vmulcaddc)
