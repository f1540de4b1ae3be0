/* The AVX2 side of the 8-bit window kernels (qu8 depthwise convolution and average pooling; include only from
 * -avx2 files): 16-output vectors over the padded rows of window.h (the portable staging), a memcpy without a
 * library call for staging bands, and the 16-bit load of one tap's inputs. */
#ifndef QI_QU8_WINDOW_AVX2_H
#define QI_QU8_WINDOW_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "kernels/qu8-dwconv/window.h"

/* Bytes of one padded row copy for 16-output vectors of stride_w 1 or 2 (qi_qu8_window_row_bytes), 0 when the
 * window takes the scalar kernels. */
static inline size_t qi_qu8_window_avx2_row_bytes(const qi_window2d *g) { return qi_qu8_window_row_bytes(g, 16); }

/* memcpy of n bytes without a library call: overlapping vector moves inside [0, n) of both buffers. */
static inline void qi_qu8_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  if (n >= 32) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
      _mm256_storeu_si256((__m256i *)(dst + i), _mm256_loadu_si256((const __m256i *)(src + i)));
    if (i < n) _mm256_storeu_si256((__m256i *)(dst + n - 32), _mm256_loadu_si256((const __m256i *)(src + n - 32)));
  } else if (n >= 16) {
    const __m128i a = _mm_loadu_si128((const __m128i *)src), b = _mm_loadu_si128((const __m128i *)(src + n - 16));
    _mm_storeu_si128((__m128i *)dst, a);
    _mm_storeu_si128((__m128i *)(dst + n - 16), b);
  } else {
    qi_qu8_copy_short(dst, src, n);
  }
}

/* 16 inputs of one tap (outputs ox .. ox + 15 read p[0], p[sx], ...) as 16-bit lanes in the uint8 domain:
 * stride 1: vpmovzxbw of 16 bytes; stride 2: the even bytes of 32, as 16-bit words & 0xff. */
static inline __attribute__((always_inline)) __m256i qi_qu8_load16_u16(const uint8_t *p, size_t sx, __m128i flip128,
                                                                        __m256i flip256) {
  if (sx == 1) return _mm256_cvtepu8_epi16(_mm_xor_si128(_mm_loadu_si128((const __m128i *)p), flip128));
  const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p), flip256);
  return _mm256_and_si256(v, _mm256_set1_epi16(0xff));
}

#endif /* QI_QU8_WINDOW_AVX2_H */
