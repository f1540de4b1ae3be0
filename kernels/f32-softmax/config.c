#include "kernels/f32-softmax/softmax.h"

static const qi_f32_softmax_config scalar = {
    .softmax = QI_KERNEL(qi_f32_softmax_ukernel__scalar),
    .logsoftmax = QI_KERNEL(qi_f32_logsoftmax_ukernel__scalar),
    .features = 0,
};

#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_softmax_config avx2 = {
    .softmax = QI_KERNEL(qi_f32_softmax_ukernel__avx2),
    .logsoftmax = QI_KERNEL(qi_f32_logsoftmax_ukernel__avx2),
    .features = QI_CPU_AVX2,
};
static const qi_f32_softmax_config avx512f = {
    .softmax = QI_KERNEL(qi_f32_softmax_ukernel__avx512f),
    .logsoftmax = QI_KERNEL(qi_f32_logsoftmax_ukernel__avx512f),
    .features = QI_CPU_AVX512,
};
static const qi_f32_softmax_config *const list[] = {&scalar, &avx2, &avx512f};
#elif defined(__aarch64__) || defined(__ARM_NEON)
static const qi_f32_softmax_config neon = {
    .softmax = QI_KERNEL(qi_f32_softmax_ukernel__neon),
    .logsoftmax = QI_KERNEL(qi_f32_logsoftmax_ukernel__neon),
    .features = QI_CPU_NEON,
};
static const qi_f32_softmax_config *const list[] = {&scalar, &neon};
#else
static const qi_f32_softmax_config *const list[] = {&scalar};
#endif /* x86, NEON */

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_softmax_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f, /* AVX-512 F kernels: features QI_CPU_AVX512 */
#elif defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif
};

QI_ISA_CONFIG_GETTERS(qi_f32_softmax)
