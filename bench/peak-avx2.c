/* Peak probes for AVX2 + FMA (bench/peak.h, body in bench/peak-loop.h). */
#include <immintrin.h>

#include "bench/peak.h"

volatile double qb_probe_sink;
volatile int qb_probe_seed = 3;

/* vfmadd ymm: acc = acc * a + w converges to w / (1 - a) = 3e6 from any start: no overflow, no denormals. */
#define QB_PROBE_NAME qb_probe_fma_ymm
#define QB_VEC __m256
#define QB_SPLAT(v) _mm256_set1_ps((float)(v))
#define QB_STEP(acc, w) _mm256_fmadd_ps(acc, _mm256_set1_ps(0.999999f), w)
#define QB_ADD(a, b) _mm256_add_ps(a, b)
#define QB_LANE0(v) _mm256_cvtss_f32(v)
#define QB_OPS_PER_STEP 16 /* 8 lanes x (multiply + add) */
#include "bench/peak-loop.h"
#undef QB_PROBE_NAME
#undef QB_VEC
#undef QB_SPLAT
#undef QB_STEP
#undef QB_ADD
#undef QB_LANE0
#undef QB_OPS_PER_STEP

/* vpmaddwd + vpaddd ymm: the AVX2 int8 kernels' dot product (int16 pairs into int32). In the kernels the product
 * does not depend on the accumulator, so only the 1-cycle vpaddd is on each chain; written in asm because in C
 * the compiler hoists or merges the loop-invariant products (and spills accumulators). 10 chains, 4 product
 * registers reused in turn: 15 of the 16 ymm registers. */
double qb_probe_maddwd_ymm(size_t iters) {
  const __m256i w = _mm256_set1_epi32(qb_probe_seed);
  __m256i a0 = w, a1 = w, a2 = w, a3 = w, a4 = w, a5 = w, a6 = w, a7 = w, a8 = w, a9 = w, t0, t1, t2, t3;
  for (size_t it = 0; it < iters; it++) {
    __asm__ volatile(
        "vpmaddwd %[w], %[w], %[t0]\n\tvpmaddwd %[w], %[w], %[t1]\n\t"
        "vpaddd %[t0], %[a0], %[a0]\n\tvpmaddwd %[w], %[w], %[t2]\n\t"
        "vpaddd %[t1], %[a1], %[a1]\n\tvpmaddwd %[w], %[w], %[t3]\n\t"
        "vpaddd %[t2], %[a2], %[a2]\n\tvpmaddwd %[w], %[w], %[t0]\n\t"
        "vpaddd %[t3], %[a3], %[a3]\n\tvpmaddwd %[w], %[w], %[t1]\n\t"
        "vpaddd %[t0], %[a4], %[a4]\n\tvpmaddwd %[w], %[w], %[t2]\n\t"
        "vpaddd %[t1], %[a5], %[a5]\n\tvpmaddwd %[w], %[w], %[t3]\n\t"
        "vpaddd %[t2], %[a6], %[a6]\n\tvpmaddwd %[w], %[w], %[t0]\n\t"
        "vpaddd %[t3], %[a7], %[a7]\n\tvpmaddwd %[w], %[w], %[t1]\n\t"
        "vpaddd %[t0], %[a8], %[a8]\n\tvpaddd %[t1], %[a9], %[a9]"
        : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5),
          [a6] "+x"(a6), [a7] "+x"(a7), [a8] "+x"(a8), [a9] "+x"(a9), [t0] "=&x"(t0), [t1] "=&x"(t1),
          [t2] "=&x"(t2), [t3] "=&x"(t3)
        : [w] "x"(w));
  }
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  sum = _mm256_add_epi32(sum, _mm256_add_epi32(a8, a9));
  qb_probe_sink = (double)_mm256_cvtsi256_si32(sum);
  return (double)iters * 10 * 32; /* 16 int16 products + 16 adds per pair */
}
