/* AVX-VNNI: vpdpbusd multiplies 4 unsigned activation bytes by 4 signed weight bytes and adds the four products
 * to an int32 lane, without saturation (exact). 6 rows x 16 columns: 12 ymm accumulators, two activation loads
 * and six weight broadcasts feed 12 vpdpbusd (the loop: kernels/qu8-gemm/dot-6x16c4-avxvnni.h). */
#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-gemm/dot-6x16c4-avxvnni.h"
#include "kernels/qu8-gemm/requant-avx2.h"

#define MR 6
#define NR 16
#define KR 4

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                          const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                          size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    __m256i lo[MR], hi[MR]; /* columns 0..7 and 8..15 */
    QI_QU8_GEMM_DOT_6X16C4__AVXVNNI(lo, hi, panel.bias, panel.w, packed_x, kb_count);
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    const __m256i cb_lo = qi_qu8_col_bias8_avx2(params, n0, cols);
    const __m256i cb_hi = cols > 8 ? qi_qu8_col_bias8_avx2(params, n0 + 8, cols - 8) : _mm256_setzero_si256();
    for (size_t r = 0; r < mr; r++) {
      const __m128i q8 =
          _mm_packus_epi16(qi_qu8_requant8_avx2(_mm256_add_epi32(lo[r], cb_lo), panel.scale[r], params),
                           qi_qu8_requant8_avx2(_mm256_add_epi32(hi[r], cb_hi), panel.scale[r], params));
      qi_qu8_store_row_avx2(out + r * c_row_stride, q8, cols, c_col_stride, params);
    }
  }
}
