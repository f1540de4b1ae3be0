/* qi_qd8_quantize_row__avx2: the activation rule of qd8-f32-qb4w-gemm.h, 8 values at a time (max of |a| by
 * andnot + maxps, then mulps, roundps to nearest even, cvtps2dq, packssdw, packsswb); a block's last len % 8
 * values go through the scalar code (code.h), whose operations are the same. */
#include <immintrin.h>
#include <string.h>

#include "kernels/qd8-f32-qb4w-gemm/code.h"
#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

void qi_qd8_quantize_row__avx2(size_t k, size_t bl, const float *a, int8_t *q, float *scale, int32_t *sum) {
  assert(k >= 1 && bl >= 1 && a != NULL && q != NULL && scale != NULL && sum != NULL);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (size_t k0 = 0, b = 0; k0 < k; k0 += bl, b++) {
    const size_t len = k - k0 < bl ? k - k0 : bl, full = len / 8 * 8;
    const float *x = a + k0;
    __m256 vmax = _mm256_setzero_ps();
    for (size_t i = 0; i < full; i += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float amax = _mm_cvtss_f32(m4);
    for (size_t i = full; i < len; i++) {
      const float v = fabsf(x[i]);
      amax = amax > v ? amax : v;
    }
    scale[b] = amax / 127.0f;
    const float inv = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    __m256i vsum = _mm256_setzero_si256();
    int8_t *out = q + k0;
    for (size_t i = 0; i < full; i += 8) {
      const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      const __m256i v = _mm256_cvtps_epi32(r);
      const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      const __m128i w8 = _mm_packs_epi16(w16, w16);
      _mm_storel_epi64((__m128i *)(void *)(out + i), w8);
      vsum = _mm256_add_epi32(vsum, _mm256_cvtepi8_epi32(w8));
    }
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(vsum), _mm256_extracti128_si256(vsum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t s = _mm_cvtsi128_si32(s4);
    for (size_t i = full; i < len; i++) {
      out[i] = qi_qd8_code(x[i] * inv);
      s += out[i];
    }
    memset(out + len, 0, bl - len);
    sum[b] = s;
  }
}
