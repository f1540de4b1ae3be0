/* Global average pooling, AVX2. CHW rows: the bytes of a row (xor sign_flip) are summed exactly with vpsadbw
 * against zero (8-byte groups into 64-bit lanes). Channels last: 32 channels at a time, widened to 16-bit
 * lanes and summed for up to 257 pixels (257 * 255 < 2^16), then added into int32 lanes; the requantization
 * is requant-avx2.h's. Every sum is exact, so the results are those of the scalar kernels. */
#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/requant-avx2.h"

void qi_qu8_gavgpool_ukernel__avx2(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                   const qi_qu8_avgpool_params *params) {
  assert(input && output && params && length >= 1 && length <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, length);
  const uint8_t flip = params->sign_flip;
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)length;
  const __m256i vflip = _mm256_set1_epi8((char)flip), zero = _mm256_setzero_si256();
  for (size_t r = 0; r < rows; r++, input += length) {
    __m256i s0 = zero, s1 = zero;
    size_t i = 0;
    for (; i + 64 <= length; i += 64) {
      const __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(input + i)), vflip);
      const __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(input + i + 32)), vflip);
      s0 = _mm256_add_epi64(s0, _mm256_sad_epu8(a, zero));
      s1 = _mm256_add_epi64(s1, _mm256_sad_epu8(b, zero));
    }
    for (; i + 32 <= length; i += 32)
      s0 = _mm256_add_epi64(s0, _mm256_sad_epu8(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(input + i)), vflip), zero));
    __m128i s = _mm_add_epi64(_mm256_castsi256_si128(_mm256_add_epi64(s0, s1)),
                              _mm256_extracti128_si256(_mm256_add_epi64(s0, s1), 1));
    if (i + 16 <= length) {
      const __m128i v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(input + i)), _mm256_castsi256_si128(vflip));
      s = _mm_add_epi64(s, _mm_sad_epu8(v, _mm_setzero_si128()));
      i += 16;
    }
    int64_t sum = _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
    for (; i < length; i++) sum += input[i] ^ flip;
    output[r] = qi_qu8_avgpool_store_sum(sum, zp_sum, scale, params);
  }
}

/* Requantizes 32 int32 sums (q[k]: channels 8k .. 8k+7) and stores 32 bytes in channel order. */
static void store32(uint8_t *out, const __m256i *acc, __m256i vzp_sum, const qi_requant_avx2 *rq, __m256i vflip) {
  __m256i q[4];
  for (int k = 0; k < 4; k++) q[k] = qi_requant_fp32_avx2(_mm256_sub_epi32(acc[k], vzp_sum), rq);
  const __m256i a = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), _MM_SHUFFLE(3, 1, 2, 0));
  const __m256i b = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[2], q[3]), _MM_SHUFFLE(3, 1, 2, 0));
  const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), _MM_SHUFFLE(3, 1, 2, 0));
  _mm256_storeu_si256((__m256i *)out, _mm256_xor_si256(bytes, vflip));
}

void qi_qu8_gavgpool_nwc_ukernel__avx2(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output,
                                       const qi_qu8_avgpool_params *params) {
  assert(input && output && params && pixels >= 1 && pixels <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, pixels);
  const uint8_t flip = params->sign_flip;
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)pixels;
  const __m256i vflip = _mm256_set1_epi8((char)flip);
  const __m128i vflip128 = _mm256_castsi256_si128(vflip);
  const __m256i vzp_sum = _mm256_set1_epi32((int32_t)zp_sum); /* |zp_sum| <= 255 * 8421504 < 2^31 */
  const qi_requant_avx2 rq = qi_requant_avx2_init(scale, params->y_zero_point, params->qmin, params->qmax);
  size_t c = 0;
  for (; c + 32 <= channels; c += 32) {
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    const uint8_t *x = input + c;
    for (size_t p0 = 0; p0 < pixels; p0 += 257) {
      const size_t n = pixels - p0 < 257 ? pixels - p0 : 257;
      __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
      for (size_t p = 0; p < n; p++, x += channels) {
        const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x), vflip);
        lo = _mm256_add_epi16(lo, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v)));
        hi = _mm256_add_epi16(hi, _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v, 1)));
      }
      acc[0] = _mm256_add_epi32(acc[0], _mm256_cvtepu16_epi32(_mm256_castsi256_si128(lo)));
      acc[1] = _mm256_add_epi32(acc[1], _mm256_cvtepu16_epi32(_mm256_extracti128_si256(lo, 1)));
      acc[2] = _mm256_add_epi32(acc[2], _mm256_cvtepu16_epi32(_mm256_castsi256_si128(hi)));
      acc[3] = _mm256_add_epi32(acc[3], _mm256_cvtepu16_epi32(_mm256_extracti128_si256(hi, 1)));
    }
    store32(output + c, acc, vzp_sum, &rq, vflip);
  }
  for (; c + 8 <= channels; c += 8) {
    __m256i acc = _mm256_setzero_si256();
    const uint8_t *x = input + c;
    for (size_t p = 0; p < pixels; p++, x += channels)
      acc = _mm256_add_epi32(acc, _mm256_cvtepu8_epi32(_mm_xor_si128(_mm_loadl_epi64((const __m128i *)x), vflip128)));
    int32_t sums[8];
    _mm256_storeu_si256((__m256i *)sums, acc);
    for (int k = 0; k < 8; k++) output[c + (size_t)k] = qi_qu8_avgpool_store_sum(sums[k], zp_sum, scale, params);
  }
  for (; c < channels; c++) {
    int64_t sum = 0;
    const uint8_t *x = input + c;
    for (size_t p = 0; p < pixels; p++, x += channels) sum += x[0] ^ flip;
    output[c] = qi_qu8_avgpool_store_sum(sum, zp_sum, scale, params);
  }
}
