#include <assert.h>
#include <immintrin.h>

#include "kernels/qu8-gemm-i32/qu8-gemm-i32.h"

/* 16 weights of rows k and k + 1 (k + 1 absent: zeros) as int16 pairs (w[k][j], w[k+1][j]): lo for columns
 * 0..7, hi for 8..15, in column order. */
static inline void load_pairs(const uint8_t *w0, const uint8_t *w1, bool w_signed, __m256i *lo, __m256i *hi) {
  const __m128i a = _mm_loadu_si128((const __m128i *)w0);
  const __m128i b = w1 ? _mm_loadu_si128((const __m128i *)w1) : _mm_setzero_si128();
  const __m128i l = _mm_unpacklo_epi8(a, b), h = _mm_unpackhi_epi8(a, b);
  *lo = w_signed ? _mm256_cvtepi8_epi16(l) : _mm256_cvtepu8_epi16(l);
  *hi = w_signed ? _mm256_cvtepi8_epi16(h) : _mm256_cvtepu8_epi16(h);
}

/* k values per block: their (x - zp) pairs are made once per block and read by every column tile. */
enum { KB = 256 };

void qi_qu8_x8w_gemm_i32_ukernel_4x16c2__avx2(size_t m, size_t n, size_t k, const uint8_t *x, size_t x_stride,
                                              int32_t x_zero_point, const uint8_t *w, size_t w_stride, bool w_signed,
                                              int32_t *c, size_t c_stride) {
  assert(k <= QI_QU8_GEMM_I32_MAX_K && (m == 0 || n == 0 || (x && w && c)));
  const size_t n16 = n / 16 * 16;
  for (size_t r0 = 0; r0 < m; r0 += 4) {
    const size_t nr = m - r0 < 4 ? m - r0 : 4;
    for (size_t k0 = 0; k0 < k; k0 += KB) {
      const size_t kb = k - k0 < KB ? k - k0 : KB, np = (kb + 1) / 2;
      /* (x[k] - zp, x[k + 1] - zp) as int16 pairs per row (k + 1 past the end: 0); rows past m: zeros */
      int32_t pairs[4][KB / 2];
      for (size_t r = 0; r < 4; r++)
        for (size_t p = 0; p < np; p++) {
          const size_t kk = k0 + 2 * p;
          const uint8_t *xr = x + (r0 + r) * x_stride;
          const int32_t a0 = r < nr ? (int32_t)xr[kk] - x_zero_point : 0;
          const int32_t a1 = r < nr && kk + 1 < k ? (int32_t)xr[kk + 1] - x_zero_point : 0;
          pairs[r][p] = (int32_t)((uint32_t)(uint16_t)(int16_t)a0 | (uint32_t)(uint16_t)(int16_t)a1 << 16);
        }
      for (size_t j0 = 0; j0 < n16; j0 += 16) {
        __m256i acc[4][2];
        for (size_t r = 0; r < 4; r++) {
          int32_t *cr = c + (r0 + (r < nr ? r : 0)) * c_stride + j0;
          const bool first = k0 == 0 || r >= nr;
          acc[r][0] = first ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)cr);
          acc[r][1] = first ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)(cr + 8));
        }
        for (size_t p = 0; p < np; p++) {
          const size_t kk = k0 + 2 * p;
          __m256i lo, hi;
          load_pairs(w + kk * w_stride + j0, kk + 1 < k ? w + (kk + 1) * w_stride + j0 : NULL, w_signed, &lo, &hi);
          for (size_t r = 0; r < 4; r++) {
            const __m256i a = _mm256_set1_epi32(pairs[r][p]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(lo, a));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(hi, a));
          }
        }
        for (size_t r = 0; r < nr; r++) {
          _mm256_storeu_si256((__m256i *)(c + (r0 + r) * c_stride + j0), acc[r][0]);
          _mm256_storeu_si256((__m256i *)(c + (r0 + r) * c_stride + j0 + 8), acc[r][1]);
        }
      }
    }
    if (n16 < n) /* the last columns, fewer than 16 */
      qi_qu8_x8w_gemm_i32_ukernel_1x1__scalar(nr, n - n16, k, x + r0 * x_stride, x_stride, x_zero_point, w + n16,
                                              w_stride, w_signed, c + r0 * c_stride + n16, c_stride);
  }
}
