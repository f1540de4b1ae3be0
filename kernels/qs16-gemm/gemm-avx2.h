/* The body of the W8A16 AVX2 kernels (kernels/qs16-gemm/qs16-gemm.h), for a tile of MR rows x 8 * NB columns:
 * define MR, NB and FN, then include.
 *
 * Per k pair, NB 256-bit loads hold 8 * NB columns x 2 k of activations (int16) and each row's two weights are
 * one 32-bit broadcast; vpmaddwd multiplies the int16 pairs and adds the two products (each at most 2^22 in
 * magnitude, so it never saturates) into int32 lanes. After each chunk of QI_QS16_GEMM_KC k the int32 sums
 * (|sum| <= 2^30) are widened to binary64 (vcvtdq2pd, exact) and added to binary64 accumulators that start at
 * the row's int64 bias: every value is an integer below 2^53 in magnitude, so these additions are exact and the
 * accumulators hold the int64 sum of the scalar kernel. vcvtpd2ps then rounds it to binary32 once (nearest,
 * ties to even: (float) of the int64), and the requantization is qi_requant_fp32_s64's: one multiply, the clamp
 * on integer bounds, vcvtps2dq (half to even), + zero point. */
#include <immintrin.h>
#include <string.h>

#include "kernels/qs16-gemm/qs16-gemm.h"

#define NR (8 * NB)

void FN(size_t mr, size_t nc, size_t kc, const void *packed_w, const int16_t *packed_x, void *c, size_t c_row_stride,
        size_t c_col_stride, const qi_qs16_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QS16_GEMM_MAX_K);
  const qi_qs16_gemm_panel panel = qi_qs16_gemm_panel_parts(packed_w, MR);
  const size_t pairs = qi_qs16_round_up(kc, 2) / 2, chunk = QI_QS16_GEMM_KC / 2;
  const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
  const __m256i vzp = _mm256_set1_epi32(params->zero_point);
  for (size_t j0 = 0; j0 < nc; j0 += NR, packed_x += qi_qs16_gemm_xblock_elems(kc, NR)) {
    __m256d sum[MR][2 * NB]; /* columns 4i .. 4i + 3 of each row */
    for (size_t r = 0; r < MR; r++)
      for (size_t i = 0; i < 2 * NB; i++) sum[r][i] = _mm256_set1_pd((double)panel.bias[r]); /* |bias| < 2^53 */
    for (size_t p0 = 0; p0 < pairs; p0 += chunk) {
      const size_t p1 = pairs - p0 < chunk ? pairs : p0 + chunk;
      __m256i acc[MR][NB];
      for (size_t r = 0; r < MR; r++)
        for (size_t b = 0; b < NB; b++) acc[r][b] = _mm256_setzero_si256();
      const int16_t *w = panel.w + p0 * MR * 2;
      const int16_t *x = packed_x + p0 * NR * 2;
      /* two k pairs a trip: gcc 12 then keeps the accumulators in place (rolled, it copied them with vmovdqa every
       * pair and spilled one): +25-30 % on Zen 3 */
#pragma GCC unroll 2
      for (size_t p = p0; p < p1; p++, w += MR * 2, x += NR * 2) {
        __m256i vx[NB];
        for (size_t b = 0; b < NB; b++) vx[b] = _mm256_loadu_si256((const __m256i *)(const void *)(x + 16 * b));
        for (size_t r = 0; r < MR; r++) {
          int32_t wr; /* the row's (w[2p], w[2p + 1]) as one 32-bit lane */
          memcpy(&wr, w + 2 * r, sizeof wr);
          const __m256i vw = _mm256_set1_epi32(wr);
          for (size_t b = 0; b < NB; b++) acc[r][b] = _mm256_add_epi32(acc[r][b], _mm256_madd_epi16(vx[b], vw));
        }
      }
      for (size_t r = 0; r < MR; r++)
        for (size_t b = 0; b < NB; b++) {
          sum[r][2 * b] = _mm256_add_pd(sum[r][2 * b], _mm256_cvtepi32_pd(_mm256_castsi256_si128(acc[r][b])));
          sum[r][2 * b + 1] =
              _mm256_add_pd(sum[r][2 * b + 1], _mm256_cvtepi32_pd(_mm256_extracti128_si256(acc[r][b], 1)));
        }
    }
    const size_t cols = nc - j0 < NR ? nc - j0 : NR;
    for (size_t r = 0; r < mr; r++) {
      int32_t q[NR];
      const __m256 vs = _mm256_set1_ps(panel.scale[r]);
      for (size_t b = 0; b < NB; b++) {
        const __m256 s = _mm256_set_m128(_mm256_cvtpd_ps(sum[r][2 * b + 1]), _mm256_cvtpd_ps(sum[r][2 * b]));
        const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(s, vs), vmin), vmax);
        _mm256_storeu_si256((__m256i *)(void *)(q + 8 * b), _mm256_add_epi32(_mm256_cvtps_epi32(v), vzp));
      }
      const size_t base = r * c_row_stride + j0 * c_col_stride;
      if (params->out_bytes == 2)
        for (size_t j = 0; j < cols; j++) ((uint16_t *)c)[base + j * c_col_stride] = (uint16_t)q[j];
      else
        for (size_t j = 0; j < cols; j++) ((uint8_t *)c)[base + j * c_col_stride] = (uint8_t)q[j];
    }
  }
}

#undef NR
