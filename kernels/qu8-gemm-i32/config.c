#include "kernels/qu8-gemm-i32/qu8-gemm-i32.h"

static const qi_qu8_gemm_i32_config scalar = {.ukernel = QI_KERNEL(qi_qu8_x8w_gemm_i32_ukernel_1x1__scalar),
                                              .features = 0, .mr = 1};
#if defined(__x86_64__) || defined(__i386__)
static const qi_qu8_gemm_i32_config avx2 = {.ukernel = QI_KERNEL(qi_qu8_x8w_gemm_i32_ukernel_4x16c2__avx2),
                                            .features = QI_CPU_AVX2, .mr = 4};
#endif /* x86 */

static const qi_qu8_gemm_i32_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2,
#endif /* x86 */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback:
 * avx512vnni -> avxvnni -> avx2 -> scalar). */
static const qi_qu8_gemm_i32_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
#endif /* x86 */
};

QI_ISA_CONFIG_GETTERS(qi_qu8_gemm_i32)
