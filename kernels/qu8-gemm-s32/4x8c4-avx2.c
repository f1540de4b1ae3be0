/* AVX2 without VNNI: the products of qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2 (int16 weights and widened
 * activations multiplied by vpmaddwd, exact), stored as int32 sums: one 256-bit store per row when the columns
 * are contiguous and complete, else one element at a time. The products come from the requantizing kernel's
 * dot-product macros (kernels/qu8-gemm/dot-4x8c4-avx2.h), a last block of at most 4 columns at half width. */
#include <immintrin.h>

#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/dot-4x8c4-avx2.h"

#define MR 4
#define NR 8
#define KR 4

void qi_qu8_qc8w_gemm_s32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                              const uint8_t *packed_x, int32_t *c, size_t c_row_stride,
                                              size_t c_col_stride) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  const int16_t *w0 = panel.w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    __m256i lo[MR], hi[MR]; /* columns 0..3 and 4..7, two partial sums each */
    if (cols <= 4) { /* half block, as in the requantizing kernel */
      QI_QU8_GEMM_DOT_4X4C4_HALF__AVX2(lo, w0, packed_x, kb_count);
      for (size_t r = 0; r < MR; r++) hi[r] = _mm256_setzero_si256();
    } else {
      QI_QU8_GEMM_DOT_4X8C4__AVX2(lo, hi, w0, packed_x, kb_count);
    }
    int32_t *out = c + n0 * c_col_stride;
    for (size_t r = 0; r < mr; r++) {
      /* hadd gives columns [0 1 4 5 | 2 3 6 7]; vpermq (0, 2, 1, 3) puts them in order */
      const __m256i sum = _mm256_add_epi32(_mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[r], hi[r]), 0xd8),
                                           _mm256_set1_epi32(panel.bias[r]));
      int32_t *row = out + r * c_row_stride;
      if (c_col_stride == 1 && cols == NR) {
        _mm256_storeu_si256((__m256i *)row, sum);
      } else {
        int32_t e[NR];
        _mm256_storeu_si256((__m256i *)e, sum);
        for (size_t j = 0; j < cols; j++) row[j * c_col_stride] = e[j];
      }
    }
  }
}
