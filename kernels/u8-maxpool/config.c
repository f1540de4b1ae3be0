#include "kernels/u8-maxpool/u8-maxpool.h"

static const qi_u8_maxpool_config scalar = {.ukernel_2d = QI_KERNEL(qi_u8_maxpool_ukernel_2d__scalar),
                                            .ukernel_nd = QI_KERNEL(qi_u8_maxpool_ukernel_nd__scalar),
                                            .features = 0};
#if defined(__x86_64__) || defined(__i386__)
static const qi_u8_maxpool_config avx2 = {.ukernel_2d = QI_KERNEL(qi_u8_maxpool_ukernel_2d__avx2),
                                          .ukernel_nd = QI_KERNEL(qi_u8_maxpool_ukernel_nd__scalar),
                                          .features = QI_CPU_AVX2};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_u8_maxpool_config neon = {.ukernel_2d = QI_KERNEL(qi_u8_maxpool_ukernel_2d__neon),
                                          .ukernel_nd = QI_KERNEL(qi_u8_maxpool_ukernel_nd__scalar),
                                          .features = QI_CPU_NEON};
#endif /* Arm NEON */

static const qi_u8_maxpool_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm NEON */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar, neoni8mm -> neondot -> neon -> scalar). */
static const qi_u8_maxpool_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm NEON */
};

QI_ISA_CONFIG_GETTERS(qi_u8_maxpool)
