/* The products of the AVX2 4x8c4 tile, shared by its requantizing kernel (kernels/qu8-gemm/4x8c4-avx2.c) and its
 * int32-output twin (kernels/qu8-gemm-s32/4x8c4-avx2.c). A macro, not an inline function: shared through a helper
 * taking the accumulator arrays, GCC 12 kept one accumulator in memory and the loop ran 28 % slower on ResNet-18
 * (perf, Zen 3); expanded in place it compiles to the same code as the loop written out in each kernel. */
#ifndef QI_QU8_GEMM_DOT_4X8C4_AVX2_H
#define QI_QU8_GEMM_DOT_4X8C4_AVX2_H

#include <immintrin.h>

/* lo[r] / hi[r] (__m256i[4]) = the sums of columns 0..3 / 4..7 of row r, two k-pair partial sums per column, over
 * kb_count blocks of 4 k: w (int16, 4 rows x 4 k per block) times x (uint8 widened to int16, 8 columns x 4 k per
 * block) by vpmaddwd, exact. */
#define QI_QU8_GEMM_DOT_4X8C4__AVX2(lo, hi, w_panel, x_panel, kb_count)                            \
  do {                                                                                            \
    for (size_t r_ = 0; r_ < 4; r_++) (lo)[r_] = (hi)[r_] = _mm256_setzero_si256();              \
    const int16_t *w_ = (w_panel);                                                                \
    const uint8_t *x_ = (x_panel);                                                                \
    for (size_t kb_ = 0; kb_ < (kb_count); kb_++, w_ += 4 * 4, x_ += 8 * 4) {                      \
      const __m256i x0_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x_));            \
      const __m256i x1_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(x_ + 16)));     \
      for (size_t r_ = 0; r_ < 4; r_++) {                                                         \
        long long wr_;                                                                            \
        __builtin_memcpy(&wr_, w_ + r_ * 4, sizeof wr_);                                          \
        const __m256i wv_ = _mm256_set1_epi64x(wr_);                                              \
        (lo)[r_] = _mm256_add_epi32((lo)[r_], _mm256_madd_epi16(x0_, wv_));                       \
        (hi)[r_] = _mm256_add_epi32((hi)[r_], _mm256_madd_epi16(x1_, wv_));                       \
      }                                                                                           \
    }                                                                                             \
  } while (0)

/* The last column block when it has at most 4 columns: lo[r] (__m256i[4]) = the sums of columns 0..3 of row r (two
 * k-pair partial sums per column), reading and widening only the first half of each k-block's 8 columns. */
#define QI_QU8_GEMM_DOT_4X4C4_HALF__AVX2(lo, w_panel, x_panel, kb_count)                                 \
  do {                                                                                            \
    for (size_t r_ = 0; r_ < 4; r_++) (lo)[r_] = _mm256_setzero_si256();                          \
    const int16_t *w_ = (w_panel);                                                                \
    const uint8_t *x_ = (x_panel);                                                                \
    for (size_t kb_ = 0; kb_ < (kb_count); kb_++, w_ += 4 * 4, x_ += 8 * 4) {                      \
      const __m256i x0_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x_));            \
      for (size_t r_ = 0; r_ < 4; r_++) {                                                         \
        long long wr_;                                                                            \
        __builtin_memcpy(&wr_, w_ + r_ * 4, sizeof wr_);                                          \
        (lo)[r_] = _mm256_add_epi32((lo)[r_], _mm256_madd_epi16(x0_, _mm256_set1_epi64x(wr_)));   \
      }                                                                                           \
    }                                                                                             \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_4X8C4_AVX2_H */
