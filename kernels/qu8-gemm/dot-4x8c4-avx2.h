/* The products of the AVX2 4x8c4 tile, shared by its requantizing kernel (kernels/qu8-gemm/4x8c4-avx2.c) and its
 * int32-output twin (kernels/qu8-gemm-s32/4x8c4-avx2.c). A macro, not an inline function: shared through a helper
 * taking the accumulator arrays, GCC 12 kept one accumulator in memory and the loop ran 28 % slower on ResNet-18
 * (perf, Zen 3); expanded in place it compiles to the same code as the loop written out in each kernel. */
#ifndef QI_QU8_GEMM_DOT_4X8C4_AVX2_H
#define QI_QU8_GEMM_DOT_4X8C4_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* Row r's 4 int16 weights of the k-block at w (one 64-bit load), broadcast to every column pair. */
static inline __m256i qi_qu8_gemm_w4_avx2(const int16_t *w, size_t r) {
  long long v;
  __builtin_memcpy(&v, w + r * 4, sizeof v);
  return _mm256_set1_epi64x(v);
}

/* lo[r] / hi[r] (__m256i[4]) = the sums of columns 0..3 / 4..7 of row r, two k-pair partial sums per column, over
 * kb_count blocks of 4 k: w (int16, 4 rows x 4 k per block) times x (uint8 widened to int16, 8 columns x 4 k per
 * block) by vpmaddwd, exact. The 8 accumulators are named scalars, stored to the arrays once after the loop: kept
 * as array elements across the loop, GCC 12 rotated them through extra registers (a vmovdqa per accumulator and
 * one spill per k-block: 37 instructions for 8 vpmaddwd, front-end bound on Zen 3). */
#define QI_QU8_GEMM_DOT_4X8C4__AVX2(lo, hi, w_panel, x_panel, kb_count)                            \
  do {                                                                                            \
    __m256i l0_ = _mm256_setzero_si256(), l1_ = l0_, l2_ = l0_, l3_ = l0_;                        \
    __m256i h0_ = l0_, h1_ = l0_, h2_ = l0_, h3_ = l0_;                                            \
    const int16_t *w_ = (w_panel);                                                                \
    const uint8_t *x_ = (x_panel);                                                                \
    for (size_t kb_ = (kb_count); kb_ != 0; kb_--, w_ += 4 * 4, x_ += 8 * 4) {                     \
      const __m256i x0_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x_));            \
      const __m256i x1_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(x_ + 16)));     \
      const __m256i w0_ = qi_qu8_gemm_w4_avx2(w_, 0), w1_ = qi_qu8_gemm_w4_avx2(w_, 1);         \
      const __m256i w2_ = qi_qu8_gemm_w4_avx2(w_, 2), w3_ = qi_qu8_gemm_w4_avx2(w_, 3);         \
      l0_ = _mm256_add_epi32(l0_, _mm256_madd_epi16(x0_, w0_));                                   \
      h0_ = _mm256_add_epi32(h0_, _mm256_madd_epi16(x1_, w0_));                                   \
      l1_ = _mm256_add_epi32(l1_, _mm256_madd_epi16(x0_, w1_));                                   \
      h1_ = _mm256_add_epi32(h1_, _mm256_madd_epi16(x1_, w1_));                                   \
      l2_ = _mm256_add_epi32(l2_, _mm256_madd_epi16(x0_, w2_));                                   \
      h2_ = _mm256_add_epi32(h2_, _mm256_madd_epi16(x1_, w2_));                                   \
      l3_ = _mm256_add_epi32(l3_, _mm256_madd_epi16(x0_, w3_));                                   \
      h3_ = _mm256_add_epi32(h3_, _mm256_madd_epi16(x1_, w3_));                                   \
    }                                                                                             \
    (lo)[0] = l0_, (lo)[1] = l1_, (lo)[2] = l2_, (lo)[3] = l3_;                                   \
    (hi)[0] = h0_, (hi)[1] = h1_, (hi)[2] = h2_, (hi)[3] = h3_;                                   \
  } while (0)

/* The last column block when it has at most 4 columns: lo[r] (__m256i[4]) = the sums of columns 0..3 of row r (two
 * k-pair partial sums per column), reading and widening only the first half of each k-block's 8 columns. */
#define QI_QU8_GEMM_DOT_4X4C4_HALF__AVX2(lo, w_panel, x_panel, kb_count)                           \
  do {                                                                                            \
    __m256i l0_ = _mm256_setzero_si256(), l1_ = l0_, l2_ = l0_, l3_ = l0_;                        \
    const int16_t *w_ = (w_panel);                                                                \
    const uint8_t *x_ = (x_panel);                                                                \
    for (size_t kb_ = (kb_count); kb_ != 0; kb_--, w_ += 4 * 4, x_ += 8 * 4) {                     \
      const __m256i x0_ = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)x_));            \
      l0_ = _mm256_add_epi32(l0_, _mm256_madd_epi16(x0_, qi_qu8_gemm_w4_avx2(w_, 0)));          \
      l1_ = _mm256_add_epi32(l1_, _mm256_madd_epi16(x0_, qi_qu8_gemm_w4_avx2(w_, 1)));          \
      l2_ = _mm256_add_epi32(l2_, _mm256_madd_epi16(x0_, qi_qu8_gemm_w4_avx2(w_, 2)));          \
      l3_ = _mm256_add_epi32(l3_, _mm256_madd_epi16(x0_, qi_qu8_gemm_w4_avx2(w_, 3)));          \
    }                                                                                             \
    (lo)[0] = l0_, (lo)[1] = l1_, (lo)[2] = l2_, (lo)[3] = l3_;                                   \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_4X8C4_AVX2_H */
