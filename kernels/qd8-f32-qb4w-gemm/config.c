#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

static const qi_qd8_f32_qb4w_gemm_config scalar_4x4c4 = {
    .ukernel = QI_KERNEL(qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x4c4__scalar),
    .quantize_row = QI_KERNEL(qi_qd8_quantize_row__scalar), .features = 0, .mr = 4, .nr = 4};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qd8_f32_qb4w_gemm_config avx2_4x8c4 = {
    .ukernel = QI_KERNEL(qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x8c4__avx2),
    .quantize_row = QI_KERNEL(qi_qd8_quantize_row__avx2), .features = QI_CPU_AVX2, .mr = 4, .nr = 8};
#endif /* x86 */

static const qi_qd8_f32_qb4w_gemm_config *const list[] = {
    &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    &avx2_4x8c4,
#endif /* x86 */
};

/* Indexed by qi_isa; a path without its own kernel falls back (qi_isa_fallback): the VNNI paths to AVX2, every
 * Arm path to scalar (no NEON kernel yet). */
static const qi_qd8_f32_qb4w_gemm_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2_4x8c4,
#endif /* x86 */
};

QI_ISA_CONFIG_GETTERS(qi_qd8_f32_qb4w_gemm)
