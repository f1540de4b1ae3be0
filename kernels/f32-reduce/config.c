#include "kernels/f32-reduce/reduce.h"

static const qi_f32_reduce_config scalar = {
    .r =
        {
            [QI_REDUCE_SUM] = {QI_KERNEL(qi_f32_rsum_ukernel__scalar)},
            [QI_REDUCE_SUMSQ] = {QI_KERNEL(qi_f32_rsumsq_ukernel__scalar)},
            [QI_REDUCE_SUMABS] = {QI_KERNEL(qi_f32_rsumabs_ukernel__scalar)},
            [QI_REDUCE_MAX] = {QI_KERNEL(qi_f32_rmax_ukernel__scalar)},
            [QI_REDUCE_MIN] = {QI_KERNEL(qi_f32_rmin_ukernel__scalar)},
            [QI_REDUCE_PROD] = {QI_KERNEL(qi_f32_rprod_ukernel__scalar)},
        },
    .rd =
        {
            [QI_REDUCE_SUM] = {QI_KERNEL(qi_f32_rdsum_ukernel__scalar)},
            [QI_REDUCE_SUMSQ] = {QI_KERNEL(qi_f32_rdsumsq_ukernel__scalar)},
            [QI_REDUCE_SUMABS] = {QI_KERNEL(qi_f32_rdsumabs_ukernel__scalar)},
            [QI_REDUCE_MAX] = {QI_KERNEL(qi_f32_rdmax_ukernel__scalar)},
            [QI_REDUCE_MIN] = {QI_KERNEL(qi_f32_rdmin_ukernel__scalar)},
            [QI_REDUCE_PROD] = {QI_KERNEL(qi_f32_rdprod_ukernel__scalar)},
        },
    .rsumexp = QI_KERNEL(qi_f32_rsumexp_ukernel__scalar),
    .rdsumexp = QI_KERNEL(qi_f32_rdsumexp_ukernel__scalar),
    .features = 0,
};

/* every kind but the product, which keeps the scalar kernel (the tester reports it as tested above) */
#define SIMD_CONFIG(isa, feature)                                                                               \
  static const qi_f32_reduce_config isa = {                                                                    \
      .r =                                                                                                     \
          {                                                                                                    \
              [QI_REDUCE_SUM] = {QI_KERNEL(qi_f32_rsum_ukernel__##isa)},                                       \
              [QI_REDUCE_SUMSQ] = {QI_KERNEL(qi_f32_rsumsq_ukernel__##isa)},                                   \
              [QI_REDUCE_SUMABS] = {QI_KERNEL(qi_f32_rsumabs_ukernel__##isa)},                                 \
              [QI_REDUCE_MAX] = {QI_KERNEL(qi_f32_rmax_ukernel__##isa)},                                       \
              [QI_REDUCE_MIN] = {QI_KERNEL(qi_f32_rmin_ukernel__##isa)},                                       \
              [QI_REDUCE_PROD] = {QI_KERNEL(qi_f32_rprod_ukernel__scalar)},                                    \
          },                                                                                                   \
      .rd =                                                                                                    \
          {                                                                                                    \
              [QI_REDUCE_SUM] = {QI_KERNEL(qi_f32_rdsum_ukernel__##isa)},                                      \
              [QI_REDUCE_SUMSQ] = {QI_KERNEL(qi_f32_rdsumsq_ukernel__##isa)},                                  \
              [QI_REDUCE_SUMABS] = {QI_KERNEL(qi_f32_rdsumabs_ukernel__##isa)},                                \
              [QI_REDUCE_MAX] = {QI_KERNEL(qi_f32_rdmax_ukernel__##isa)},                                      \
              [QI_REDUCE_MIN] = {QI_KERNEL(qi_f32_rdmin_ukernel__##isa)},                                      \
              [QI_REDUCE_PROD] = {QI_KERNEL(qi_f32_rdprod_ukernel__scalar)},                                   \
          },                                                                                                   \
      .rsumexp = QI_KERNEL(qi_f32_rsumexp_ukernel__##isa),                                                     \
      .rdsumexp = QI_KERNEL(qi_f32_rdsumexp_ukernel__##isa),                                                   \
      .features = feature,                                                                                     \
  };
#if defined(__x86_64__) || defined(__i386__)
SIMD_CONFIG(avx2, QI_CPU_AVX2)
SIMD_CONFIG(avx512f, QI_CPU_AVX512)
static const qi_f32_reduce_config *const list[] = {&scalar, &avx2, &avx512f};
#elif defined(__aarch64__) || defined(__ARM_NEON)
SIMD_CONFIG(neon, QI_CPU_NEON)
static const qi_f32_reduce_config *const list[] = {&scalar, &neon};
#else
static const qi_f32_reduce_config *const list[] = {&scalar};
#endif /* x86, NEON */

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_reduce_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
#if defined(__x86_64__) || defined(__i386__)
    [QI_ISA_AVX2] = &avx2,
    [QI_ISA_AVX512VNNI] = &avx512f, /* AVX-512 F kernels: features QI_CPU_AVX512 */
#elif defined(__aarch64__) || defined(__ARM_NEON)
    [QI_ISA_NEON] = &neon,
#endif
};

QI_ISA_CONFIG_GETTERS(qi_f32_reduce)
