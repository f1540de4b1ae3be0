/* AVX2 without VNNI. vpmaddubsw would saturate (a u8 x s8 pair sum can exceed int16), so both operands are
 * int16 and multiplied by vpmaddwd, which is exact: each int32 lane gets the sum of two k of one column. The
 * weights are packed as int16 (config w_bytes = 2), so a row's 4 weights are one 64-bit broadcast load; the
 * activations are widened per k-block (two vpmovzxbw). A column's two partial sums (k 0+1, k 2+3) are added by
 * vphaddd at the end of the dot product. A last block of at most 4 columns (N = 49, 50, 196 ...) runs half width:
 * one load, one widening and 4 vpmaddwd per k-block instead of 8. */
#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-gemm/dot-4x8c4-avx2.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 4
#define NR 8
#define KR 4

/* Stores 4 rows x cols (<= 8) bytes (q8[r]'s low half, XORed with the output flip) with row stride 1: column j's 4
 * bytes are contiguous at out + j * col_stride. A 4 x 8 byte transpose (two rounds of unpacks), then one 4-byte
 * store per column instead of 4 byte stores. */
static inline void store_columns(const __m128i q8[MR], uint8_t *out, size_t cols, size_t col_stride,
                                 const qi_qu8_gemm_params *params) {
  const __m128i r01 = _mm_unpacklo_epi8(q8[0], q8[1]), r23 = _mm_unpacklo_epi8(q8[2], q8[3]);
  const __m128i flip = _mm_set1_epi8((char)params->sign_flip);
  const __m128i t[2] = {_mm_xor_si128(_mm_unpacklo_epi16(r01, r23), flip),  /* columns 0..3 */
                        _mm_xor_si128(_mm_unpackhi_epi16(r01, r23), flip)}; /* columns 4..7 */
  int32_t e[NR];
  _mm_storeu_si128((__m128i *)e, t[0]);
  _mm_storeu_si128((__m128i *)(e + 4), t[1]);
  for (size_t j = 0; j < cols; j++) __builtin_memcpy(out + j * col_stride, &e[j], 4);
}

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  const int16_t *w0 = panel.w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    __m256i lo[MR], hi[MR]; /* columns 0..3 and 4..7, two partial sums each */
    if (cols <= 4) { /* half block: columns 4..7 are not stored, so not computed */
      QI_QU8_GEMM_DOT_4X4C4_HALF__AVX2(lo, w0, packed_x, kb_count);
      for (size_t r = 0; r < MR; r++) hi[r] = _mm256_setzero_si256();
    } else {
      QI_QU8_GEMM_DOT_4X8C4__AVX2(lo, hi, w0, packed_x, kb_count);
    }
    uint8_t *out = c + n0 * c_col_stride;
    const __m256i col_bias = qi_qu8_col_bias8_avx2(params, n0, cols);
    __m128i q8[MR]; /* row r's 8 bytes in the low half */
    for (size_t r = 0; r < mr; r++) {
      /* hadd gives columns [0 1 4 5 | 2 3 6 7]; vpermq (0, 2, 1, 3) puts them in order */
      const __m256i sum = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[r], hi[r]), 0xd8);
      const __m256i biased = _mm256_add_epi32(sum, _mm256_add_epi32(col_bias, _mm256_set1_epi32(panel.bias[r])));
      const __m128i q16 = qi_qu8_requant8_avx2(biased, panel.scale[r], params);
      q8[r] = _mm_packus_epi16(q16, q16);
    }
    if (c_row_stride == 1 && mr == MR) { /* MatMul's transposed store: the 4 rows of a column are adjacent */
      store_columns(q8, out, cols, c_col_stride, params);
      continue;
    }
    for (size_t r = 0; r < mr; r++) qi_qu8_store_row_avx2(out + r * c_row_stride, q8[r], cols, c_col_stride, params);
  }
}
