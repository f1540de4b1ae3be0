#include "kernels/f32-attention/attention.h"

static const qi_f32_attention_config scalar = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_1x1__scalar), .features = 0, .mr = 1, .nr = 1};
#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_attention_config avx2 = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_6x16__avx2), .features = QI_CPU_AVX2, .mr = 6, .nr = 16};
static const qi_f32_attention_config avx512 = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_6x32__avx512f), .features = QI_CPU_AVX512, .mr = 6, .nr = 32};
#endif /* x86 */
/* NEON: 8 query rows on aarch64 (32 q registers), 4 on 32-bit Arm (16). */
#if defined(__aarch64__)
static const qi_f32_attention_config neon = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_8x8__neon), .features = QI_CPU_NEON, .mr = 8, .nr = 8};
#elif defined(__ARM_NEON)
static const qi_f32_attention_config neon = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_4x8__neon), .features = QI_CPU_NEON, .mr = 4, .nr = 8};
#endif /* Arm */

static const qi_f32_attention_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avx512,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm */
};

/* Indexed by qi_isa; paths without a kernel of their own fall back along their family (qi_isa_fallback): the
 * FP32 zmm kernel sits in the avx512vnni slot (no path between avx2 and avx512vnni), AVX-VNNI gets AVX2's. */
static const qi_f32_attention_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_attention)
