#include "kernels/f32-attention/attention.h"

static const qi_f32_attention_config scalar = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_1x1__scalar), .features = 0, .mr = 1, .nr = 1};
#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_attention_config avx2 = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_6x16__avx2), .features = QI_CPU_AVX2, .mr = 6, .nr = 16};
static const qi_f32_attention_config avx512 = {
    .ukernel = QI_KERNEL(qi_f32_attention_ukernel_6x32__avx512f), .features = QI_CPU_AVX512, .mr = 6, .nr = 32};
#endif /* x86 */

static const qi_f32_attention_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avx512,
#endif /* x86 */
};

/* Indexed by qi_isa; paths without a kernel of their own fall back along their family (qi_isa_fallback): the
 * FP32 zmm kernel sits in the avx512vnni slot (no path between avx2 and avx512vnni), AVX-VNNI gets AVX2's. */
static const qi_f32_attention_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512,
#endif /* x86 */
};

QI_ISA_CONFIG_GETTERS(qi_f32_attention)
