/* AVX-512 VNNI, 8 rows x 32 columns: two zmm of 16 columns per row (16 accumulators), vpdpbusd (exact, no
 * saturation) with each weight row's 4 bytes broadcast from memory: 2 activation loads and 8 broadcasts feed 16
 * vpdpbusd. A last column block of at most 16 columns reads only the first half of each k-block's 32 columns. The
 * loops: kernels/qu8-gemm/dot-8x32c4-avx512vnni.h. */
#include <immintrin.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-gemm/dot-8x32c4-avx512vnni.h"
#include "kernels/qu8-gemm/store-avx512.h"

#define MR 8
#define NR 32
#define KR 4

static inline __m128i requant16(__m512i acc, float scale, const qi_qu8_gemm_params *params) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(scale));
  v = _mm512_max_ps(v, _mm512_set1_ps(params->min));
  v = _mm512_min_ps(v, _mm512_set1_ps(params->max));
  const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(params->zero_point));
  return _mm_xor_si128(_mm512_cvtusepi32_epi8(q), _mm_set1_epi8((char)params->sign_flip));
}

/* The column biases of params->col_bias for columns n0 .. n0 + cols - 1 (cols <= 16; the rest 0). */
static inline __m512i col_bias16(const qi_qu8_gemm_params *params, size_t n0, size_t cols) {
  if (!params->col_bias) return _mm512_setzero_si512();
  return _mm512_maskz_loadu_epi32((__mmask16)((1u << cols) - 1u), params->col_bias + n0);
}

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                             const uint8_t *packed_x, uint8_t *c,
                                                             size_t c_row_stride, size_t c_col_stride,
                                                             const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    uint8_t *out = c + n0 * c_col_stride;
    if (cols <= 16) { /* half block */
      __m512i a[MR];
      QI_QU8_GEMM_DOT_8X16C4_HALF__AVX512VNNI(a, panel.bias, panel.w, packed_x, kb_count);
      const __m512i cb = col_bias16(params, n0, cols);
      for (size_t r = 0; r < mr; r++)
        qi_qu8_store16_avx512(requant16(_mm512_add_epi32(a[r], cb), panel.scale[r], params), out + r * c_row_stride,
                              cols, c_col_stride);
      continue;
    }
    __m512i lo[MR], hi[MR]; /* columns 0..15 and 16..31 */
    QI_QU8_GEMM_DOT_8X32C4__AVX512VNNI(lo, hi, panel.bias, panel.w, packed_x, kb_count);
    const __m512i cb_lo = col_bias16(params, n0, 16), cb_hi = col_bias16(params, n0 + 16, cols - 16);
    for (size_t r = 0; r < mr; r++) {
      uint8_t *o = out + r * c_row_stride;
      qi_qu8_store16_avx512(requant16(_mm512_add_epi32(lo[r], cb_lo), panel.scale[r], params), o, 16,
                            c_col_stride);
      qi_qu8_store16_avx512(requant16(_mm512_add_epi32(hi[r], cb_hi), panel.scale[r], params),
                            o + 16 * c_col_stride, cols - 16, c_col_stride);
    }
  }
}
