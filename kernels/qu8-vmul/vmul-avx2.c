#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-vmul/qu8-vmul.h"

/* The requant rule on 16 int32 products: cvtdq2ps (exact, |acc| < 2^24), mulps, clamp to
 * [qmin - zp, qmax - zp], cvtps2dq (half to even), + zp, packed to bytes (exact: 0..255), ^ sign flip. */
static inline __m128i requant16(__m256i acc0, __m256i acc1, __m256 vscale, __m256 vlo, __m256 vhi, __m256i vzp,
                                __m128i vflip) {
  const __m256 f0 = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc0), vscale), vlo), vhi);
  const __m256 f1 = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc1), vscale), vlo), vhi);
  const __m256i i0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), vzp);
  const __m256i i1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), vzp);
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), _MM_SHUFFLE(3, 1, 2, 0));
  return _mm_xor_si128(_mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1)), vflip);
}

void qi_qu8_vmul_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_mul_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const __m256i vza = _mm256_set1_epi32(p->a_zero_point), vzb = _mm256_set1_epi32(p->b_zero_point);
  const __m256 vscale = _mm256_set1_ps(p->scale);
  const __m256 vlo = _mm256_set1_ps((float)(p->qmin - p->y_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)(p->qmax - p->y_zero_point));
  const __m256i vzp = _mm256_set1_epi32(p->y_zero_point);
  const __m128i vflip = _mm_set1_epi8((char)p->sign_flip);
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
    const __m128i va = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), vflip);
    const __m128i vb = _mm_xor_si128(_mm_loadu_si128((const __m128i *)b), vflip);
    const __m256i a0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(va), vza);
    const __m256i a1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(va, va)), vza);
    const __m256i b0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(vb), vzb);
    const __m256i b1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(vb, vb)), vzb);
    _mm_storeu_si128((__m128i *)y, requant16(_mm256_mullo_epi32(a0, b0), _mm256_mullo_epi32(a1, b1), vscale, vlo,
                                             vhi, vzp, vflip));
  }
  if (n) qi_qu8_vmul_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vmulc_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_mul_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const __m256i vza = _mm256_set1_epi32(p->a_zero_point);
  const __m256i vb = _mm256_set1_epi32((int32_t)(b[0] ^ p->sign_flip) - p->b_zero_point);
  const __m256 vscale = _mm256_set1_ps(p->scale);
  const __m256 vlo = _mm256_set1_ps((float)(p->qmin - p->y_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)(p->qmax - p->y_zero_point));
  const __m256i vzp = _mm256_set1_epi32(p->y_zero_point);
  const __m128i vflip = _mm_set1_epi8((char)p->sign_flip);
  for (; n >= 16; n -= 16, a += 16, y += 16) {
    const __m128i va = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), vflip);
    const __m256i a0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(va), vza);
    const __m256i a1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(va, va)), vza);
    _mm_storeu_si128((__m128i *)y, requant16(_mm256_mullo_epi32(a0, vb), _mm256_mullo_epi32(a1, vb), vscale, vlo,
                                             vhi, vzp, vflip));
  }
  if (n) qi_qu8_vmulc_minmax_ukernel__scalar(n, a, b, y, p);
}
