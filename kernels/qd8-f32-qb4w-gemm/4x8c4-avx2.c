/* qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x8c4__avx2: 4 rows x a panel of 8 columns. Per group of 8 k the panel's 32
 * bytes give, by an AND and a shift + AND, the nibbles of k-steps 0..3 and 4..7 as 4 bytes per column; vpmaddubsw
 * multiplies them (unsigned, <= 15) with 4 broadcast codes of a row (signed, |q| <= 128) into int16 pair sums of
 * at most 2 * 15 * 128 = 3840, so the two halves of up to 4 groups add in int16 without overflow (8 * 3840 =
 * 30720 < 32768) before vpmaddwd by ones widens them into the int32 block sums. The block's epilogue is the
 * scalar one's: d - z * a_sum, then (float)d * (a_scale * w_scale) added to the float total (vmulps, vaddps). */
#include <immintrin.h>
#include <string.h>

#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

#define MR 4
#define NR 8

static inline __m256i bcast4(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

void qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                                     size_t a_stride, const float *a_scale, const int32_t *a_sum,
                                                     size_t ap_stride, const void *packed_w, float *c,
                                                     size_t c_stride, const qi_qd8_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
  assert(a && a_scale && a_sum && packed_w && c && params);
  const size_t bl = params->bl, nb = (kc + bl - 1) / bl, groups = bl / QI_QD8_QB4W_GROUP;
  assert(bl >= QI_QD8_QB4W_GROUP && bl % QI_QD8_QB4W_GROUP == 0);
  const size_t block_bytes = qi_qd8_f32_qb4w_block_bytes(NR, bl);
  const __m256i m15 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
  const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
  /* rows past mr read row mr - 1 (their results are not stored) */
  const int8_t *x[MR];
  size_t pr[MR];
  for (size_t r = 0; r < MR; r++) {
    const size_t row = r < mr ? r : mr - 1;
    x[r] = a + row * a_stride, pr[r] = row * ap_stride;
  }
  const uint8_t *w = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += NR) {
    __m256 f[MR];
    const __m256 bias = _mm256_loadu_ps((const float *)(const void *)w);
    for (size_t r = 0; r < MR; r++) f[r] = bias;
    w += NR * sizeof(float);
    for (size_t b = 0; b < nb; b++, w += block_bytes) {
      const __m256 ws = _mm256_loadu_ps((const float *)(const void *)w);
      const __m256i z = _mm256_loadu_si256((const __m256i *)(const void *)(w + NR * sizeof(float)));
      const uint8_t *u = w + NR * (sizeof(float) + sizeof(int32_t));
      __m256i acc[MR];
      for (size_t r = 0; r < MR; r++) acc[r] = _mm256_setzero_si256();
      for (size_t g0 = 0; g0 < groups; g0 += 4) {
        const size_t g1 = groups - g0 < 4 ? groups : g0 + 4;
        __m256i p[MR];
        for (size_t r = 0; r < MR; r++) p[r] = _mm256_setzero_si256();
        for (size_t g = g0; g < g1; g++) {
          const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(u + g * NR * 4));
          const __m256i lo = _mm256_and_si256(v, m15), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m15);
          const size_t k = g * QI_QD8_QB4W_GROUP;
          for (size_t r = 0; r < MR; r++) {
            const int8_t *xr = x[r] + b * bl + k;
            p[r] = _mm256_add_epi16(p[r], _mm256_maddubs_epi16(lo, bcast4(xr)));
            p[r] = _mm256_add_epi16(p[r], _mm256_maddubs_epi16(hi, bcast4(xr + 4)));
          }
        }
        for (size_t r = 0; r < MR; r++) acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(p[r], ones));
      }
      for (size_t r = 0; r < MR; r++) {
        const __m256i d = _mm256_sub_epi32(acc[r], _mm256_mullo_epi32(z, _mm256_set1_epi32(a_sum[pr[r] + b])));
        const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a_scale[pr[r] + b]), ws);
        f[r] = _mm256_add_ps(f[r], _mm256_mul_ps(_mm256_cvtepi32_ps(d), s));
      }
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++) {
      const __m256 y = _mm256_min_ps(vmax, _mm256_max_ps(vmin, f[r]));
      if (cols == NR) {
        _mm256_storeu_ps(c + r * c_stride + n0, y);
      } else {
        float t[NR];
        _mm256_storeu_ps(t, y);
        memcpy(c + r * c_stride + n0, t, cols * sizeof(float));
      }
    }
  }
}
