#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/requant.h"

/* The operations of qi_quantize_f32 on 16 floats at a time: divps, NaN -> 0 (+ zero point = the zero point),
 * clamp to [qmin - zp, qmax - zp], cvtps2dq (round half to even), + zp, packed to bytes (exact: 0..255). */
void qi_qu8_quantize_ukernel__avx2(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  const float scale = p->scale;
  const int32_t zp = p->zero_point, qmin = p->qmin, qmax = p->qmax;
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 vlo = _mm256_set1_ps((float)(qmin - zp)), vhi = _mm256_set1_ps((float)(qmax - zp));
  const __m256i vzp = _mm256_set1_epi32(zp);
  const __m128i vflip = _mm_set1_epi8((char)p->sign_flip);
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    __m256 v0 = _mm256_div_ps(_mm256_loadu_ps(x), vscale);
    __m256 v1 = _mm256_div_ps(_mm256_loadu_ps(x + 8), vscale);
    v0 = _mm256_and_ps(v0, _mm256_cmp_ps(v0, v0, _CMP_ORD_Q));
    v1 = _mm256_and_ps(v1, _mm256_cmp_ps(v1, v1, _CMP_ORD_Q));
    v0 = _mm256_min_ps(_mm256_max_ps(v0, vlo), vhi);
    v1 = _mm256_min_ps(_mm256_max_ps(v1, vlo), vhi);
    const __m256i i0 = _mm256_add_epi32(_mm256_cvtps_epi32(v0), vzp);
    const __m256i i1 = _mm256_add_epi32(_mm256_cvtps_epi32(v1), vzp);
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), _MM_SHUFFLE(3, 1, 2, 0));
    const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    _mm_storeu_si128((__m128i *)y, _mm_xor_si128(b, vflip));
  }
  const uint8_t flip = p->sign_flip;
  for (size_t i = 0; i < n; i++) y[i] = (uint8_t)(qi_quantize_f32(x[i], scale, zp, qmin, qmax) ^ flip);
}
