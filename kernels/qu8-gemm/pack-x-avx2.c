/* qi_qu8_gemm_pack_x's layout (kernels/qu8-gemm/qu8-gemm.h) with SIMD for its common case: contiguous rows of X
 * (n_stride 1: the pointwise convolution's input planes), k-blocks of 4 and blocks of a multiple of 4 columns.
 * Per k-block, 16 columns of the 4 rows are XORed with the flip and interleaved by two rounds of unpacks (bytes of
 * rows 0/1 and 2/3, then their 16-bit pairs) into 4 groups of 4 columns x 4 k, 16 bytes each, every group stored
 * where its block puts it. Rows past k (the last k-block) are masked to 0, as padded k must read 0, not 0 ^ flip.
 * Every other case is the portable packer's. */
#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

/* The destination of consecutive groups of 4 columns of one k-block: block after block of nr columns. */
typedef struct group_cursor {
  uint8_t *blk;       /* the current block's k-block */
  size_t off, nr;     /* columns into the block, block width */
  size_t block_bytes; /* from one block to the next */
} group_cursor;

static inline uint8_t *next_group(group_cursor *g) {
  uint8_t *d = g->blk + 4 * g->off;
  g->off += 4;
  if (g->off == g->nr) g->off = 0, g->blk += g->block_bytes;
  return d;
}

void qi_qu8_gemm_pack_x__avx2(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                              size_t n_stride, uint8_t sign_flip, uint8_t *packed) {
  if (n_stride != 1 || kr != 4 || nr % 4 != 0) {
    qi_qu8_gemm_pack_x(k, n, nr, kr, x, k_stride, n_stride, sign_flip, packed);
    return;
  }
  assert(k >= 1 && n >= 1 && x && packed);
  const size_t kp = qi_qu8_round_up(k, 4), padded_n = qi_qu8_round_up(n, nr);
  const __m128i flip = _mm_set1_epi8((char)sign_flip);
  for (size_t kb = 0; kb < kp; kb += 4) {
    const size_t rows = k - kb < 4 ? k - kb : 4;
    const uint8_t *r[4];
    __m128i keep[4]; /* all ones for a row of X, 0 for a padded row (read from row kb, then masked) */
    for (size_t i = 0; i < 4; i++) {
      r[i] = x + (kb + (i < rows ? i : 0)) * k_stride;
      keep[i] = _mm_set1_epi8(i < rows ? -1 : 0);
    }
    group_cursor g = {packed + kb * nr, 0, nr, nr * kp};
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
      __m128i v[4];
      for (size_t i = 0; i < 4; i++)
        v[i] = _mm_and_si128(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(r[i] + j)), flip), keep[i]);
      const __m128i lo01 = _mm_unpacklo_epi8(v[0], v[1]), hi01 = _mm_unpackhi_epi8(v[0], v[1]);
      const __m128i lo23 = _mm_unpacklo_epi8(v[2], v[3]), hi23 = _mm_unpackhi_epi8(v[2], v[3]);
      _mm_storeu_si128((__m128i *)next_group(&g), _mm_unpacklo_epi16(lo01, lo23)); /* columns j .. j+3 */
      _mm_storeu_si128((__m128i *)next_group(&g), _mm_unpackhi_epi16(lo01, lo23)); /* j+4 .. j+7 */
      _mm_storeu_si128((__m128i *)next_group(&g), _mm_unpacklo_epi16(hi01, hi23)); /* j+8 .. j+11 */
      _mm_storeu_si128((__m128i *)next_group(&g), _mm_unpackhi_epi16(hi01, hi23)); /* j+12 .. j+15 */
    }
    for (; j < padded_n; j += 4) { /* the last columns, and zeros past n in the last block */
      uint8_t *d = next_group(&g);
      for (size_t c = 0; c < 4; c++)
        for (size_t i = 0; i < 4; i++) d[4 * c + i] = j + c < n && i < rows ? r[i][j + c] ^ sign_flip : 0;
    }
  }
}
