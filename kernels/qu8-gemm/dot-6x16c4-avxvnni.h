/* The products of the AVX-VNNI 6x16c4 tile, shared by its requantizing kernel (kernels/qu8-gemm/6x16c4-avxvnni.c)
 * and its int32-output twin (kernels/qu8-gemm-s32/6x16c4-avxvnni.c). A macro expanded in place, for the reason
 * given in dot-4x8c4-avx2.h, with named accumulators copied to the caller's arrays after the loop: accumulating
 * into the arrays, which the epilogue indexes by row, GCC 12 kept them in memory (a store per vpdpbusd). */
#ifndef QI_QU8_GEMM_DOT_6X16C4_AVXVNNI_H
#define QI_QU8_GEMM_DOT_6X16C4_AVXVNNI_H

#include <immintrin.h>

/* lo[r] / hi[r] (__m256i[6]) = bias[r] + the sums of columns 0..7 / 8..15 of row r over kb_count blocks of 4 k:
 * 4 uint8 activations times 4 int8 weights per int32 lane by vpdpbusd (exact); each row's 4 weights of a block are
 * one broadcast int32. */
#define QI_QU8_GEMM_DOT_6X16C4__AVXVNNI(lo, hi, bias, w_panel, x_panel, kb_count)                         \
  do {                                                                                                    \
    __m256i a0_ = _mm256_set1_epi32((bias)[0]), b0_ = a0_, a1_ = _mm256_set1_epi32((bias)[1]), b1_ = a1_;  \
    __m256i a2_ = _mm256_set1_epi32((bias)[2]), b2_ = a2_, a3_ = _mm256_set1_epi32((bias)[3]), b3_ = a3_;  \
    __m256i a4_ = _mm256_set1_epi32((bias)[4]), b4_ = a4_, a5_ = _mm256_set1_epi32((bias)[5]), b5_ = a5_;  \
    const int32_t *wq_ = (const int32_t *)(const void *)(w_panel);                                        \
    const uint8_t *x_ = (x_panel);                                                                        \
    for (size_t kb_ = 0; kb_ < (kb_count); kb_++, x_ += 16 * 4, wq_ += 6) {                               \
      const __m256i x0_ = _mm256_loadu_si256((const __m256i *)x_);                                        \
      const __m256i x1_ = _mm256_loadu_si256((const __m256i *)(x_ + 32));                                 \
      int32_t wr_[6];                                                                                     \
      __builtin_memcpy(wr_, wq_, sizeof wr_);                                                             \
      __m256i w_ = _mm256_set1_epi32(wr_[0]);                                                             \
      a0_ = _mm256_dpbusd_avx_epi32(a0_, x0_, w_), b0_ = _mm256_dpbusd_avx_epi32(b0_, x1_, w_);           \
      w_ = _mm256_set1_epi32(wr_[1]);                                                                     \
      a1_ = _mm256_dpbusd_avx_epi32(a1_, x0_, w_), b1_ = _mm256_dpbusd_avx_epi32(b1_, x1_, w_);           \
      w_ = _mm256_set1_epi32(wr_[2]);                                                                     \
      a2_ = _mm256_dpbusd_avx_epi32(a2_, x0_, w_), b2_ = _mm256_dpbusd_avx_epi32(b2_, x1_, w_);           \
      w_ = _mm256_set1_epi32(wr_[3]);                                                                     \
      a3_ = _mm256_dpbusd_avx_epi32(a3_, x0_, w_), b3_ = _mm256_dpbusd_avx_epi32(b3_, x1_, w_);           \
      w_ = _mm256_set1_epi32(wr_[4]);                                                                     \
      a4_ = _mm256_dpbusd_avx_epi32(a4_, x0_, w_), b4_ = _mm256_dpbusd_avx_epi32(b4_, x1_, w_);           \
      w_ = _mm256_set1_epi32(wr_[5]);                                                                     \
      a5_ = _mm256_dpbusd_avx_epi32(a5_, x0_, w_), b5_ = _mm256_dpbusd_avx_epi32(b5_, x1_, w_);           \
    }                                                                                                     \
    (lo)[0] = a0_, (lo)[1] = a1_, (lo)[2] = a2_, (lo)[3] = a3_, (lo)[4] = a4_, (lo)[5] = a5_;             \
    (hi)[0] = b0_, (hi)[1] = b1_, (hi)[2] = b2_, (hi)[3] = b3_, (hi)[4] = b4_, (hi)[5] = b5_;             \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_6X16C4_AVXVNNI_H */
