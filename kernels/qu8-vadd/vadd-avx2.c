#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-vadd/qu8-vadd.h"

/* 16 elements per step: widen to int32, vpmulld by the multipliers, add, round half to even by vpsrad
 * (floor) of acc + rounding + parity of the floor, + zero point, packs (saturating, then clamped to
 * [qmin, qmax]: the same as clamping the int32), ^ sign flip. */
static inline __m256i rshift_even(__m256i acc, __m128i vshift, __m256i vround, __m256i vmask) {
  const __m256i odd = _mm256_and_si256(_mm256_sra_epi32(acc, vshift), vmask);
  return _mm256_sra_epi32(_mm256_add_epi32(_mm256_add_epi32(acc, vround), odd), vshift);
}

static inline __m128i finish16(__m256i acc0, __m256i acc1, const qi_qu8_add_params *p, __m128i vflip) {
  const __m128i vshift = _mm_cvtsi32_si128((int)p->shift);
  const __m256i vround = _mm256_set1_epi32(p->rounding), vmask = _mm256_set1_epi32(p->round_mask);
  const __m256i vzp = _mm256_set1_epi32(p->y_zero_point);
  const __m128i vmin = _mm_set1_epi8((char)p->qmin), vmax = _mm_set1_epi8((char)p->qmax);
  acc0 = _mm256_add_epi32(rshift_even(acc0, vshift, vround, vmask), vzp);
  acc1 = _mm256_add_epi32(rshift_even(acc1, vshift, vround, vmask), vzp);
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(acc0, acc1), _MM_SHUFFLE(3, 1, 2, 0));
  __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  b = _mm_min_epu8(_mm_max_epu8(b, vmin), vmax);
  return _mm_xor_si128(b, vflip);
}

void qi_qu8_vadd_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const __m256i vam = _mm256_set1_epi32(p->a_multiplier), vbm = _mm256_set1_epi32(p->b_multiplier);
  const __m256i vbias = _mm256_set1_epi32(p->bias);
  const __m128i vflip = _mm_set1_epi8((char)p->sign_flip);
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
    const __m128i va = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), vflip);
    const __m128i vb = _mm_xor_si128(_mm_loadu_si128((const __m128i *)b), vflip);
    __m256i acc0 = _mm256_add_epi32(vbias, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(va), vam));
    __m256i acc1 = _mm256_add_epi32(vbias, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(va, va)), vam));
    acc0 = _mm256_add_epi32(acc0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(vb), vbm));
    acc1 = _mm256_add_epi32(acc1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(vb, vb)), vbm));
    _mm_storeu_si128((__m128i *)y, finish16(acc0, acc1, p, vflip));
  }
  if (n) qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vaddc_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const __m256i vam = _mm256_set1_epi32(p->a_multiplier);
  const __m256i vbias = _mm256_set1_epi32(p->bias + p->b_multiplier * (int32_t)(b[0] ^ p->sign_flip));
  const __m128i vflip = _mm_set1_epi8((char)p->sign_flip);
  for (; n >= 16; n -= 16, a += 16, y += 16) {
    const __m128i va = _mm_xor_si128(_mm_loadu_si128((const __m128i *)a), vflip);
    const __m256i acc0 = _mm256_add_epi32(vbias, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(va), vam));
    const __m256i acc1 =
        _mm256_add_epi32(vbias, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(va, va)), vam));
    _mm_storeu_si128((__m128i *)y, finish16(acc0, acc1, p, vflip));
  }
  if (n) qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
}
