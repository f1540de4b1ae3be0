/* The byte store of 16 finished outputs of a row, shared by the AVX-512 gemm kernels (included only by files
 * compiled with AVX-512 F/BW/VL). */
#ifndef QI_QU8_GEMM_STORE_AVX512_H
#define QI_QU8_GEMM_STORE_AVX512_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* Stores the first cols (<= 16) bytes of q8 at out, col_stride apart (a masked store when contiguous). */
static inline void qi_qu8_store16_avx512(__m128i q8, uint8_t *out, size_t cols, size_t col_stride) {
  if (col_stride == 1) {
    _mm_mask_storeu_epi8(out, (__mmask16)((1u << cols) - 1u), q8);
    return;
  }
  uint8_t tmp[16];
  _mm_storeu_si128((__m128i *)tmp, q8);
  for (size_t j = 0; j < cols; j++) out[j * col_stride] = tmp[j];
}

#endif /* QI_QU8_GEMM_STORE_AVX512_H */
