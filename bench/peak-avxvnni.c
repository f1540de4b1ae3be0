/* Peak probe for AVX-VNNI vpdpbusd on ymm (bench/peak.h, body in bench/peak-loop.h). */
#include <immintrin.h>

#include "bench/peak.h"

#define QB_PROBE_NAME qb_probe_dpbusd_ymm
#define QB_VEC __m256i
#define QB_SPLAT(v) _mm256_set1_epi32(v)
#define QB_STEP(acc, w) _mm256_dpbusd_avx_epi32(acc, w, w)
#define QB_ADD(a, b) _mm256_add_epi32(a, b)
#define QB_LANE0(v) _mm256_cvtsi256_si32(v)
#define QB_OPS_PER_STEP 64 /* 32 u8 x s8 products, 32 adds */
#include "bench/peak-loop.h"
