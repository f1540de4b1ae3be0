/* The products of the AVX2 4x8c4 tile, shared by its requantizing kernel (kernels/qu8-gemm/4x8c4-avx2.c) and its
 * int32-output twin (kernels/qu8-gemm-s32/4x8c4-avx2.c); include only from files compiled for AVX2.
 * vpmaddubsw would saturate (a u8 x s8 pair sum can exceed int16), so both operands are int16 and multiplied by
 * vpmaddwd, which is exact: each int32 lane gets the sum of two k of one column. The weights are packed as int16
 * (config w_bytes = 2), so a row's 4 weights are one 64-bit broadcast load; the activations are widened per
 * k-block (two vpmovzxbw). A column's two partial sums (k 0+1, k 2+3) are added by vphaddd at the end. */
#ifndef QI_QU8_GEMM_DOT_4X8C4_AVX2_H
#define QI_QU8_GEMM_DOT_4X8C4_AVX2_H

#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

/* sum[r] = the 8 column sums of row r (columns in order) over kb_count k-blocks of 4 of one column block. */
static inline void qi_qu8_gemm_dot_4x8c4__avx2(size_t kb_count, const int16_t *w, const uint8_t *x, __m256i sum[4]) {
  __m256i lo[4], hi[4]; /* columns 0..3 and 4..7, two partial sums each */
  for (size_t r = 0; r < 4; r++) lo[r] = hi[r] = _mm256_setzero_si256();
  for (size_t kb = 0; kb < kb_count; kb++, w += 4 * 4, x += 8 * 4) {
    const __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x));
    const __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(x + 16)));
    for (size_t r = 0; r < 4; r++) {
      long long wr;
      __builtin_memcpy(&wr, w + r * 4, sizeof wr);
      const __m256i wv = _mm256_set1_epi64x(wr);
      lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(x0, wv));
      hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(x1, wv));
    }
  }
  /* hadd gives columns [0 1 4 5 | 2 3 6 7]; vpermq (0, 2, 1, 3) puts them in order */
  for (size_t r = 0; r < 4; r++) sum[r] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[r], hi[r]), 0xd8);
}

#endif /* QI_QU8_GEMM_DOT_4X8C4_AVX2_H */
