#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c1__neon);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c4__neondot);
QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm);

/* Every x86 and scalar kernel of the family reads uint8 activations, packed by qu8-gemm's packers. */
static const qi_qu8_gemm_qb4w_config scalar_4x4c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar),
    .features = 0, .mr = 4, .nr = 4, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8, .pack_x = qi_qu8_gemm_pack_x};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_gemm_qb4w_config avx2_4x8c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c4__avx2),
    .features = QI_CPU_AVX2, .mr = 4, .nr = 8, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__avx2};
static const qi_qu8_gemm_qb4w_config avxvnni_6x16c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni),
    .features = QI_CPU_AVX2 | QI_CPU_AVXVNNI, .mr = 6, .nr = 16, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__avx2};
static const qi_qu8_gemm_qb4w_config avx512vnni_8x32c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni),
    .features = QI_CPU_AVX512 | QI_CPU_AVX512VNNI, .mr = 8, .nr = 32, .kr = 4, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__avx2};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
/* The NEON tiles (kernels/qu8-gemm-qb4w/gemm-x8-neon.h), packed by qu8-gemm's NEON packer; all read uint8
 * activations but the sdot one. */
static const qi_qu8_gemm_qb4w_config neon_4x8c1 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c1__neon),
    .features = QI_CPU_NEON, .mr = 4, .nr = 8, .kr = 1, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__neon};
#endif /* ARM NEON */
#if defined(__aarch64__)
static const qi_qu8_gemm_qb4w_config neon_8x8c1 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon),
    .features = QI_CPU_NEON, .mr = 8, .nr = 8, .kr = 1, .x_domain = QI_ACT_DOMAIN_U8,
    .pack_x = qi_qu8_gemm_pack_x__neon};
static const qi_qu8_gemm_qb4w_config neondot_8x8c4 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c4__neondot),
    .features = QI_CPU_NEON | QI_CPU_NEONDOT, .mr = 8, .nr = 8, .kr = 4, .x_domain = QI_ACT_DOMAIN_S8,
    .pack_x = qi_qu8_gemm_pack_x__neon};
static const qi_qu8_gemm_qb4w_config neoni8mm_8x8c8 = {
    .ukernel = QI_KERNEL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm),
    .features = QI_CPU_NEON | QI_CPU_NEONDOT | QI_CPU_NEONI8MM, .mr = 8, .nr = 8, .kr = 8,
    .x_domain = QI_ACT_DOMAIN_U8, .pack_x = qi_qu8_gemm_pack_x__neon};
#endif /* __aarch64__ */

static const qi_qu8_gemm_qb4w_config *const list[] = {
    &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    &avx2_4x8c4, &avxvnni_6x16c4, &avx512vnni_8x32c4,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon_4x8c1,
#endif /* ARM NEON */
#if defined(__aarch64__)
    &neon_8x8c1, &neondot_8x8c4, &neoni8mm_8x8c8,
#endif /* __aarch64__ */
};

/* Indexed by qi_isa; a path without its own kernel falls back (qi_isa_fallback). */
static const qi_qu8_gemm_qb4w_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar_4x4c4,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2_4x8c4,
    [QI_ISA_AVXVNNI] = &avxvnni_6x16c4,
    [QI_ISA_AVX512VNNI] = &avx512vnni_8x32c4,
#endif /* x86 */
#if defined(__aarch64__)
    [QI_ISA_NEON] = &neon_8x8c1, /* aarch64's 32 q registers hold its 16 accumulators */
    [QI_ISA_NEONDOT] = &neondot_8x8c4,
    [QI_ISA_NEONI8MM] = &neoni8mm_8x8c8,
#elif defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon_4x8c1, /* armv7's 16 q registers: 8 accumulators */
#endif /* ARM */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_gemm_qb4w)
