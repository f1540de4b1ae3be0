/* The products of the AVX-512 VNNI 8x32c4 tile, shared by its requantizing kernel
 * (kernels/qu8-gemm/8x32c4-avx512vnni.c) and its int32-output twin (kernels/qu8-gemm-s32/8x32c4-avx512vnni.c).
 * Macros expanded in place, for the reason given in dot-4x8c4-avx2.h; the full tile's named accumulators are copied
 * to the caller's arrays after the loop (accumulating into the arrays, GCC 12 moved them between registers and
 * the stack inside the loop, as kernels/qu8-gemm/dot-6x16c4-avxvnni.h says). */
#ifndef QI_QU8_GEMM_DOT_8X32C4_AVX512VNNI_H
#define QI_QU8_GEMM_DOT_8X32C4_AVX512VNNI_H

#include <immintrin.h>

/* lo[r] / hi[r] (__m512i[8]) = bias[r] + the sums of columns 0..15 / 16..31 of row r over kb_count blocks of 4 k:
 * 4 uint8 activations times 4 int8 weights per int32 lane by vpdpbusd (exact); each row's 4 weights of a block are
 * one broadcast int32. */
#define QI_QU8_GEMM_DOT_8X32C4__AVX512VNNI(lo, hi, bias, w_panel, x_panel, kb_count)                      \
  do {                                                                                                    \
    __m512i a0_ = _mm512_set1_epi32((bias)[0]), b0_ = a0_, a1_ = _mm512_set1_epi32((bias)[1]), b1_ = a1_;  \
    __m512i a2_ = _mm512_set1_epi32((bias)[2]), b2_ = a2_, a3_ = _mm512_set1_epi32((bias)[3]), b3_ = a3_;  \
    __m512i a4_ = _mm512_set1_epi32((bias)[4]), b4_ = a4_, a5_ = _mm512_set1_epi32((bias)[5]), b5_ = a5_;  \
    __m512i a6_ = _mm512_set1_epi32((bias)[6]), b6_ = a6_, a7_ = _mm512_set1_epi32((bias)[7]), b7_ = a7_;  \
    const int32_t *wq_ = (const int32_t *)(const void *)(w_panel);                                        \
    const uint8_t *x_ = (x_panel);                                                                        \
    for (size_t kb_ = 0; kb_ < (kb_count); kb_++, x_ += 32 * 4, wq_ += 8) {                               \
      const __m512i x0_ = _mm512_loadu_si512(x_), x1_ = _mm512_loadu_si512(x_ + 64);                      \
      int32_t wr_[8];                                                                                     \
      __builtin_memcpy(wr_, wq_, sizeof wr_);                                                             \
      __m512i w_ = _mm512_set1_epi32(wr_[0]);                                                             \
      a0_ = _mm512_dpbusd_epi32(a0_, x0_, w_), b0_ = _mm512_dpbusd_epi32(b0_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[1]);                                                                     \
      a1_ = _mm512_dpbusd_epi32(a1_, x0_, w_), b1_ = _mm512_dpbusd_epi32(b1_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[2]);                                                                     \
      a2_ = _mm512_dpbusd_epi32(a2_, x0_, w_), b2_ = _mm512_dpbusd_epi32(b2_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[3]);                                                                     \
      a3_ = _mm512_dpbusd_epi32(a3_, x0_, w_), b3_ = _mm512_dpbusd_epi32(b3_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[4]);                                                                     \
      a4_ = _mm512_dpbusd_epi32(a4_, x0_, w_), b4_ = _mm512_dpbusd_epi32(b4_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[5]);                                                                     \
      a5_ = _mm512_dpbusd_epi32(a5_, x0_, w_), b5_ = _mm512_dpbusd_epi32(b5_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[6]);                                                                     \
      a6_ = _mm512_dpbusd_epi32(a6_, x0_, w_), b6_ = _mm512_dpbusd_epi32(b6_, x1_, w_);                   \
      w_ = _mm512_set1_epi32(wr_[7]);                                                                     \
      a7_ = _mm512_dpbusd_epi32(a7_, x0_, w_), b7_ = _mm512_dpbusd_epi32(b7_, x1_, w_);                   \
    }                                                                                                     \
    (lo)[0] = a0_, (lo)[1] = a1_, (lo)[2] = a2_, (lo)[3] = a3_;                                           \
    (lo)[4] = a4_, (lo)[5] = a5_, (lo)[6] = a6_, (lo)[7] = a7_;                                           \
    (hi)[0] = b0_, (hi)[1] = b1_, (hi)[2] = b2_, (hi)[3] = b3_;                                           \
    (hi)[4] = b4_, (hi)[5] = b5_, (hi)[6] = b6_, (hi)[7] = b7_;                                           \
  } while (0)

/* The last column block when it has at most 16 columns: a[r] (__m512i[8]) = bias[r] + the sums of columns 0..15,
 * reading only the first half of each k-block's 32 columns. */
#define QI_QU8_GEMM_DOT_8X16C4_HALF__AVX512VNNI(a, bias, w_panel, x_panel, kb_count)                      \
  do {                                                                                                    \
    for (size_t r_ = 0; r_ < 8; r_++) (a)[r_] = _mm512_set1_epi32((bias)[r_]);                           \
    const int32_t *wq_ = (const int32_t *)(const void *)(w_panel);                                        \
    const uint8_t *x_ = (x_panel);                                                                        \
    for (size_t kb_ = 0; kb_ < (kb_count); kb_++, x_ += 32 * 4, wq_ += 8) {                               \
      const __m512i xv_ = _mm512_loadu_si512(x_);                                                         \
      int32_t wr_[8];                                                                                     \
      __builtin_memcpy(wr_, wq_, sizeof wr_);                                                             \
      for (size_t r_ = 0; r_ < 8; r_++) (a)[r_] = _mm512_dpbusd_epi32((a)[r_], xv_, _mm512_set1_epi32(wr_[r_])); \
    }                                                                                                     \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_8X32C4_AVX512VNNI_H */
