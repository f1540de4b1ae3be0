/* AVX-VNNI: the products of qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni (vpdpbusd, exact; the loop of
 * kernels/qu8-gemm/dot-6x16c4-avxvnni.h) stored as int32 sums: two 256-bit stores per row when the columns are
 * contiguous and complete, else one element at a time. */
#include <immintrin.h>

#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/dot-6x16c4-avxvnni.h"

#define MR 6
#define NR 16
#define KR 4

void qi_qu8_qc8w_gemm_s32_ukernel_6x16c4__avxvnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                  const uint8_t *packed_x, int32_t *c, size_t c_row_stride,
                                                  size_t c_col_stride) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    __m256i lo[MR], hi[MR]; /* columns 0..7 and 8..15, biases included */
    QI_QU8_GEMM_DOT_6X16C4__AVXVNNI(lo, hi, panel.bias, panel.w, packed_x, kb_count);
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    int32_t *out = c + n0 * c_col_stride;
    for (size_t r = 0; r < mr; r++) {
      int32_t *row = out + r * c_row_stride;
      if (c_col_stride == 1 && cols == NR) {
        _mm256_storeu_si256((__m256i *)row, lo[r]);
        _mm256_storeu_si256((__m256i *)(row + 8), hi[r]);
      } else {
        int32_t e[NR];
        _mm256_storeu_si256((__m256i *)e, lo[r]);
        _mm256_storeu_si256((__m256i *)(e + 8), hi[r]);
        for (size_t j = 0; j < cols; j++) row[j * c_col_stride] = e[j];
      }
    }
  }
}
