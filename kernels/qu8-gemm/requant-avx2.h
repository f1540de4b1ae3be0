/* kernels/requant.h's requantization on 8 int32 lanes, and the byte store of a finished row, shared by the
 * AVX2 and AVX-VNNI gemm kernels (included only by files compiled with -mavx2). */
#ifndef QI_QU8_GEMM_REQUANT_AVX2_H
#define QI_QU8_GEMM_REQUANT_AVX2_H

#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

/* 8 sums -> 8 int16 results in [qmin, qmax]: cvtdq2ps, mulps, max, min, cvtps2dq (round half to even), + zp. */
static inline __m128i qi_qu8_requant8_avx2(__m256i acc, float scale, const qi_qu8_gemm_params *params) {
  __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(scale));
  v = _mm256_max_ps(v, _mm256_set1_ps(params->min));
  v = _mm256_min_ps(v, _mm256_set1_ps(params->max));
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(params->zero_point));
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

/* The 8 column biases of params->col_bias from column n0 on (cols of them, the rest 0; all 0 without col_bias). */
static inline __m256i qi_qu8_col_bias8_avx2(const qi_qu8_gemm_params *params, size_t n0, size_t cols) {
  if (!params->col_bias) return _mm256_setzero_si256();
  if (cols >= 8) return _mm256_loadu_si256((const __m256i *)(params->col_bias + n0));
  int32_t tmp[8] = {0};
  for (size_t j = 0; j < cols; j++) tmp[j] = params->col_bias[n0 + j];
  return _mm256_loadu_si256((const __m256i *)tmp);
}

/* Stores the first cols bytes of q8 (XORed with the output flip) at out, col_stride apart. */
static inline void qi_qu8_store_row_avx2(uint8_t *out, __m128i q8, size_t cols, size_t col_stride,
                                         const qi_qu8_gemm_params *params) {
  q8 = _mm_xor_si128(q8, _mm_set1_epi8((char)params->sign_flip));
  if (col_stride == 1 && cols == 16) {
    _mm_storeu_si128((__m128i *)out, q8);
  } else if (col_stride == 1 && cols == 8) {
    _mm_storel_epi64((__m128i *)out, q8);
  } else {
    uint8_t tmp[16];
    _mm_storeu_si128((__m128i *)tmp, q8);
    for (size_t j = 0; j < cols; j++) out[j * col_stride] = tmp[j];
  }
}

#endif /* QI_QU8_GEMM_REQUANT_AVX2_H */
