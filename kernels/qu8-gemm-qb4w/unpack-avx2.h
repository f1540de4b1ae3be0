/* The nibble unpacking and the output of the W4A8 kernels on ymm registers (AVX2 and AVX-VNNI files, both built
 * with -mavx2).
 *
 * A group of G k-values of a panel's MR rows is MR * G/2 contiguous bytes (kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h):
 * byte r * G/2 + i of the group holds u of k = i in its low half and of k = i + G/2 in its high half. It unpacks
 * into two planes of the same shape, int8 u - z in -15..15:
 *
 *     w[0][r * G/2 + i] = low  nibble - z[r]      (k = i)
 *     w[1][r * G/2 + i] = high nibble - z[r]      (k = G/2 + i)
 *
 * so that every 32 (or 16) input bytes give two vector stores at the same offset of the two planes, with the
 * zero points subtracted as a byte pattern built once per block (byte t of the group: z[t / (G/2)]). Row r's 4
 * weights of k = kk .. kk + 3 are then the 4 bytes at w[kk / (G/2)][r * G/2 + kk % (G/2)]: one 32-bit broadcast. */
#ifndef QI_QU8_GEMM_QB4W_UNPACK_AVX2_H
#define QI_QU8_GEMM_QB4W_UNPACK_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

/* vpshufb indices giving, for the 32 group bytes from `first` on, the row of each byte (t / half), to pick z[row]
 * from a register holding z[0 .. 7] in both 128-bit lanes. */
static inline __m256i qi_qb4w_zrow_index_avx2(size_t first, size_t half) {
  uint8_t idx[32];
  for (size_t t = 0; t < 32; t++) idx[t] = (uint8_t)((first + t) / half);
  __m256i v;
  memcpy(&v, idx, sizeof v);
  return v;
}

/* z[0 .. 7] of a block in every 64-bit element (the block's z bytes are followed by its nibbles, so 8 bytes are
 * always readable; bytes past MR are not selected by the indices). */
static inline __m256i qi_qb4w_zbytes_avx2(const uint8_t *z) {
  long long v;
  memcpy(&v, z, sizeof v);
  return _mm256_set1_epi64x(v);
}

/* Unpacks the 32 group bytes at u + o into the planes w0 + o (low nibbles) and w1 + o (high), minus zpat. */
static inline void qi_qb4w_unpack32_avx2(const uint8_t *u, size_t o, __m256i zpat, int8_t *w0, int8_t *w1) {
  const __m256i mask = _mm256_set1_epi8(15);
  const __m256i v = _mm256_loadu_si256((const __m256i *)(u + o));
  _mm256_storeu_si256((__m256i *)(w0 + o), _mm256_sub_epi8(_mm256_and_si256(v, mask), zpat));
  _mm256_storeu_si256((__m256i *)(w1 + o), _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(v, 4), mask), zpat));
}

/* The same for 16 bytes (zpat's low lane). */
static inline void qi_qb4w_unpack16_avx2(const uint8_t *u, size_t o, __m256i zpat, int8_t *w0, int8_t *w1) {
  const __m128i mask = _mm_set1_epi8(15), z = _mm256_castsi256_si128(zpat);
  const __m128i v = _mm_loadu_si128((const __m128i *)(u + o));
  _mm_storeu_si128((__m128i *)(w0 + o), _mm_sub_epi8(_mm_and_si128(v, mask), z));
  _mm_storeu_si128((__m128i *)(w1 + o), _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), mask), z));
}

/* Row r's 4 weights of k = kk .. kk + 3 of the unpacked group, broadcast to every 32-bit lane. */
static inline __m256i qi_qb4w_w4_avx2(const int8_t *const w[2], size_t half, size_t r, size_t kk) {
  int32_t v;
  memcpy(&v, w[kk / half] + r * half + kk % half, sizeof v);
  return _mm256_set1_epi32(v);
}

/* 8 float totals -> 8 int16 results in [qmin, qmax]: the clamp, cvtps2dq (half to even), + zero point. */
static inline __m128i qi_qb4w_out8_avx2(__m256 f, const qi_qu8_gemm_params *params) {
  f = _mm256_max_ps(f, _mm256_set1_ps(params->min));
  f = _mm256_min_ps(f, _mm256_set1_ps(params->max));
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), _mm256_set1_epi32(params->zero_point));
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

/* f + (float)acc * scale: cvtdq2ps, a multiply and an add (separate instructions: the header's rule). */
static inline __m256 qi_qb4w_fold_avx2(__m256 f, __m256i acc, float scale) {
  return _mm256_add_ps(f, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(scale)));
}

#endif /* QI_QU8_GEMM_QB4W_UNPACK_AVX2_H */
