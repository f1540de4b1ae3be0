#include "kernels/f32-pool/f32-pool.h"

/* The N-d kernels (and Lp pooling) are scalar on every path. */
#define SCALAR_ND                                                                                              \
  .maxpool_nd = QI_KERNEL(qi_f32_maxpool_ukernel_nd__scalar), .avgpool_nd = QI_KERNEL(qi_f32_avgpool_ukernel_nd__scalar), \
  .lppool_nd = QI_KERNEL(qi_f32_lppool_ukernel_nd__scalar)

static const qi_f32_pool_config scalar = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__scalar),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__scalar),
    SCALAR_ND,
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__scalar),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__scalar),
    .features = 0,
};
#if defined(__x86_64__) || defined(__i386__)
static const qi_f32_pool_config avx2 = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__avx2),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__avx2),
    SCALAR_ND,
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__avx2),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__avx2),
    .features = QI_CPU_AVX2,
};
/* FP32 zmm kernels in the avx512vnni slot (no path sits between avx2 and avx512vnni; they need no VNNI). */
static const qi_f32_pool_config avx512f = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__avx512f),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__avx512f),
    SCALAR_ND,
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__avx512f),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__avx512f),
    .features = QI_CPU_AVX2 | QI_CPU_AVX512,
};
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
static const qi_f32_pool_config neon = {
    .maxpool2d = QI_KERNEL(qi_f32_maxpool2d_chw_ukernel__neon),
    .avgpool2d = QI_KERNEL(qi_f32_avgpool2d_chw_ukernel__neon),
    SCALAR_ND,
    .gavgpool = QI_KERNEL(qi_f32_gavgpool_ukernel__neon),
    .gmaxpool = QI_KERNEL(qi_f32_gmaxpool_ukernel__neon),
    .features = QI_CPU_NEON,
};
#endif /* Arm */

static const qi_f32_pool_config *const list[] = {
    &scalar,
#if defined(__x86_64__) || defined(__i386__)
    &avx2, &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    &neon,
#endif /* Arm */
};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_pool_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f,
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif /* Arm */
};

QI_ISA_CONFIG_GETTERS(qi_f32_pool)
