/* kernels/requant.h's rule on 8 int32 lanes, for -avx2 translation units: cvtdq2ps, one mulps, max / min
 * against the integer bounds (qmin - zp, qmax - zp), cvtps2dq under the default MXCSR round-to-nearest-even,
 * add zp. The same IEEE operations in the same order as qi_requant_fp32, so the results are identical. */
#ifndef QI_REQUANT_AVX2_H
#define QI_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdint.h>

typedef struct qi_requant_avx2 {
  __m256 scale, lo, hi;
  __m256i zp;
} qi_requant_avx2;

static inline qi_requant_avx2 qi_requant_avx2_init(float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  qi_requant_avx2 r = {_mm256_set1_ps(scale), _mm256_set1_ps((float)(qmin - zp)), _mm256_set1_ps((float)(qmax - zp)),
                       _mm256_set1_epi32(zp)};
  return r;
}

static inline __m256i qi_requant_fp32_avx2(__m256i acc, const qi_requant_avx2 *r) {
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), r->scale);
  v = _mm256_max_ps(v, r->lo); /* v < lo ? lo : v (no NaN: acc and scale are finite) */
  v = _mm256_min_ps(v, r->hi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(v), r->zp);
}

#endif /* QI_REQUANT_AVX2_H */
