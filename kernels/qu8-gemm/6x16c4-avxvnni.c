/* AVX-VNNI: vpdpbusd multiplies 4 unsigned activation bytes by 4 signed weight bytes and adds the four products
 * to an int32 lane, without saturation (exact). 6 rows x 16 columns: 12 ymm accumulators, two activation loads
 * and six weight broadcasts feed 12 vpdpbusd. */
#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
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
  const int32_t *wq = (const int32_t *)(const void *)panel.w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    __m256i a0 = _mm256_set1_epi32(panel.bias[0]), b0 = a0, a1 = _mm256_set1_epi32(panel.bias[1]), b1 = a1;
    __m256i a2 = _mm256_set1_epi32(panel.bias[2]), b2 = a2, a3 = _mm256_set1_epi32(panel.bias[3]), b3 = a3;
    __m256i a4 = _mm256_set1_epi32(panel.bias[4]), b4 = a4, a5 = _mm256_set1_epi32(panel.bias[5]), b5 = a5;
    const uint8_t *x = packed_x;
    for (size_t kb = 0; kb < kb_count; kb++, x += NR * KR) {
      const __m256i x0 = _mm256_loadu_si256((const __m256i *)x);
      const __m256i x1 = _mm256_loadu_si256((const __m256i *)(x + 32));
      int32_t wr[MR];
      __builtin_memcpy(wr, wq + kb * MR, sizeof wr);
      __m256i w = _mm256_set1_epi32(wr[0]);
      a0 = _mm256_dpbusd_avx_epi32(a0, x0, w), b0 = _mm256_dpbusd_avx_epi32(b0, x1, w);
      w = _mm256_set1_epi32(wr[1]);
      a1 = _mm256_dpbusd_avx_epi32(a1, x0, w), b1 = _mm256_dpbusd_avx_epi32(b1, x1, w);
      w = _mm256_set1_epi32(wr[2]);
      a2 = _mm256_dpbusd_avx_epi32(a2, x0, w), b2 = _mm256_dpbusd_avx_epi32(b2, x1, w);
      w = _mm256_set1_epi32(wr[3]);
      a3 = _mm256_dpbusd_avx_epi32(a3, x0, w), b3 = _mm256_dpbusd_avx_epi32(b3, x1, w);
      w = _mm256_set1_epi32(wr[4]);
      a4 = _mm256_dpbusd_avx_epi32(a4, x0, w), b4 = _mm256_dpbusd_avx_epi32(b4, x1, w);
      w = _mm256_set1_epi32(wr[5]);
      a5 = _mm256_dpbusd_avx_epi32(a5, x0, w), b5 = _mm256_dpbusd_avx_epi32(b5, x1, w);
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    const __m256i lo[MR] = {a0, a1, a2, a3, a4, a5}, hi[MR] = {b0, b1, b2, b3, b4, b5};
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
