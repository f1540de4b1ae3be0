#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-quantize/qu8-quantize.h"

/* (float)(x - zp) * scale on 16 bytes at a time: widen, subtract, cvtdq2ps (exact), one mulps. */
void qi_qu8_dequantize_ukernel__avx2(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  const float scale = p->scale;
  const int32_t zp = p->zero_point;
  const uint8_t flip = p->sign_flip;
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256i vzp = _mm256_set1_epi32(zp);
  const __m128i vflip = _mm_set1_epi8((char)flip);
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)x), vflip);
    const __m256i i0 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(b), vzp);
    const __m256i i1 = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(b, b)), vzp);
    _mm256_storeu_ps(y, _mm256_mul_ps(_mm256_cvtepi32_ps(i0), vscale));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(i1), vscale));
  }
  for (size_t i = 0; i < n; i++) y[i] = (float)((int32_t)(uint8_t)(x[i] ^ flip) - zp) * scale;
}
