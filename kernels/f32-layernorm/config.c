#include "kernels/f32-layernorm/layernorm.h"

static const qi_f32_layernorm_config scalar = {
    .rmeanvar = QI_KERNEL(qi_f32_rmeanvar_ukernel__scalar),
    .layernorm = QI_KERNEL(qi_f32_layernorm_ukernel__scalar),
    .features = 0,
};

#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_layernorm_config avx2 = {
    .rmeanvar = QI_KERNEL(qi_f32_rmeanvar_ukernel__avx2),
    .layernorm = QI_KERNEL(qi_f32_layernorm_ukernel__avx2),
    .features = QI_CPU_AVX2,
};
static const qi_f32_layernorm_config avx512f = {
    .rmeanvar = QI_KERNEL(qi_f32_rmeanvar_ukernel__avx512f),
    .layernorm = QI_KERNEL(qi_f32_layernorm_ukernel__avx512f),
    .features = QI_CPU_AVX512,
};
static const qi_f32_layernorm_config *const list[] = {&scalar, &avx2, &avx512f};
#elif defined(__aarch64__) || defined(__ARM_NEON)
static const qi_f32_layernorm_config neon = {
    .rmeanvar = QI_KERNEL(qi_f32_rmeanvar_ukernel__neon),
    .layernorm = QI_KERNEL(qi_f32_layernorm_ukernel__neon),
    .features = QI_CPU_NEON,
};
static const qi_f32_layernorm_config *const list[] = {&scalar, &neon};
#else
static const qi_f32_layernorm_config *const list[] = {&scalar};
#endif /* x86, NEON */

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_layernorm_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f, /* AVX-512 F kernels: features QI_CPU_AVX512 */
#elif defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif
};

QI_ISA_CONFIG_GETTERS(qi_f32_layernorm)
