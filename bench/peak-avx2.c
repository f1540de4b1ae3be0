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

/* vpmaddwd + vpaddd ymm: the AVX2 int8 kernels' dot product (int16 pairs into int32); acc's own bits are the
 * int16 operand, so the product cannot be hoisted out of the loop. */
#define QB_PROBE_NAME qb_probe_maddwd_ymm
#define QB_VEC __m256i
#define QB_SPLAT(v) _mm256_set1_epi32(v)
#define QB_STEP(acc, w) _mm256_add_epi32(acc, _mm256_madd_epi16(acc, w))
#define QB_ADD(a, b) _mm256_add_epi32(a, b)
#define QB_LANE0(v) _mm256_cvtsi256_si32(v)
#define QB_OPS_PER_STEP 32 /* 16 int16 products, 16 adds */
#include "bench/peak-loop.h"
