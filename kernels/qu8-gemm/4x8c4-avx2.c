/* AVX2 without VNNI: the exact int16 products of kernels/qu8-gemm/dot-4x8c4-avx2.h, requantized per row. */
#include "kernels/qu8-gemm/dot-4x8c4-avx2.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 4
#define NR 8
#define KR 4

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    __m256i sum[MR];
    qi_qu8_gemm_dot_4x8c4__avx2(kb_count, panel.w, packed_x, sum);
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    for (size_t r = 0; r < mr; r++) {
      const __m128i q16 =
          qi_qu8_requant8_avx2(_mm256_add_epi32(sum[r], _mm256_set1_epi32(panel.bias[r])), panel.scale[r], params);
      qi_qu8_store_row_avx2(out + r * c_row_stride, _mm_packus_epi16(q16, q16), cols, c_col_stride, params);
    }
  }
}
