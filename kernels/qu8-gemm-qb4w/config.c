#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2);

/* Every x86 and scalar kernel of the family reads uint8 activations, packed by qu8-gemm's packers. */
static const qi_qu8_gemm_qb4w_config scalar_4x4c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar),
    .features = 0, .mr = 4, .nr = 4, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8, .pack_x = qi_qu8_gemm_pack_x};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_gemm_qb4w_config avx2_4x8c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2),
    .features = QI_CPU_AVX2, .mr = 4, .nr = 8, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__avx2};
#endif /* x86 */

static const qi_qu8_gemm_qb4w_config *const list[] = {
    &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    &avx2_4x8c4,
#endif /* x86 */
};

/* Indexed by qi_isa; a path without its own kernel falls back (qi_isa_fallback). */
static const qi_qu8_gemm_qb4w_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2_4x8c4,
#endif /* x86 */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_gemm_qb4w)
