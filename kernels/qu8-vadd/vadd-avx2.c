#include <assert.h>
#include <immintrin.h>
#include <math.h>

#include "kernels/qu8-vadd/qu8-vadd.h"

/* 16 elements per step: bytes widened to int32 (signed for int8), converted to float, the formula of
 * qu8-vadd.h lane by lane (vfmadd for its fused multiply-adds, separate vmulps / vaddps / vdivps otherwise),
 * vcvtps2dq (round half to even under the default MXCSR), the zero point, the [qmin, qmax] clamp, packed. */
static inline __m256 load8(const uint8_t *x, int is_int8) {
  const __m128i v = _mm_loadl_epi64((const __m128i *)x);
  return _mm256_cvtepi32_ps(is_int8 ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v));
}

static inline __m256i load8_i32(const uint8_t *x, int is_int8) {
  const __m128i v = _mm_loadl_epi64((const __m128i *)x);
  return is_int8 ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
}

static inline void store16(uint8_t *y, __m256 v0, __m256 v1, int32_t zp, const qi_qu8_add_params *p) {
  const __m256i vzp = _mm256_set1_epi32(zp), vmin = _mm256_set1_epi32(p->qmin), vmax = _mm256_set1_epi32(p->qmax);
  __m256i q0 = _mm256_add_epi32(_mm256_cvtps_epi32(v0), vzp), q1 = _mm256_add_epi32(_mm256_cvtps_epi32(v1), vzp);
  q0 = _mm256_min_epi32(_mm256_max_epi32(q0, vmin), vmax);
  q1 = _mm256_min_epi32(_mm256_max_epi32(q1, vmin), vmax);
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), _MM_SHUFFLE(3, 1, 2, 0));
  const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
  _mm_storeu_si128((__m128i *)y, p->is_int8 ? _mm_packs_epi16(lo, hi) : _mm_packus_epi16(lo, hi));
}

/* (float)(x - zp) * scale for 8 lanes */
static inline __m256 dequant8(const uint8_t *x, int32_t zp, float scale, int is_int8) {
  const __m256i v = _mm256_sub_epi32(load8_i32(x, is_int8), _mm256_set1_epi32(zp));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(scale));
}

void qi_qu8_vadd_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const int s8 = p->is_int8;
  if (p->float_path) {
    const __m256 vsy = _mm256_set1_ps(p->y_scale);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      const __m256 s0 = _mm256_add_ps(dequant8(a, p->a_zero_point, p->a_scale, s8),
                                      dequant8(b, p->b_zero_point, p->b_scale, s8));
      const __m256 s1 = _mm256_add_ps(dequant8(a + 8, p->a_zero_point, p->a_scale, s8),
                                      dequant8(b + 8, p->b_zero_point, p->b_scale, s8));
      store16(y, _mm256_div_ps(s0, vsy), _mm256_div_ps(s1, vsy), p->y_zero_point, p);
    }
  } else {
    const __m256 vra = _mm256_set1_ps(p->a_ratio), vrb = _mm256_set1_ps(p->b_ratio), vfix = _mm256_set1_ps(p->fixed);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      const __m256 t0 = _mm256_fmadd_ps(load8(a, s8), vra, _mm256_fmadd_ps(load8(b, s8), vrb, vfix));
      const __m256 t1 = _mm256_fmadd_ps(load8(a + 8, s8), vra, _mm256_fmadd_ps(load8(b + 8, s8), vrb, vfix));
      store16(y, t0, t1, 0, p);
    }
  }
  if (n) qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vaddc_minmax_ukernel__avx2(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const int s8 = p->is_int8;
  const int32_t vb = qi_qu8_add_value(b[0], p);
  if (p->float_path) {
    const __m256 vsy = _mm256_set1_ps(p->y_scale);
    const __m256 bterm = _mm256_set1_ps((float)(vb - p->b_zero_point) * p->b_scale);
    for (; n >= 16; n -= 16, a += 16, y += 16) {
      const __m256 s0 = _mm256_add_ps(dequant8(a, p->a_zero_point, p->a_scale, s8), bterm);
      const __m256 s1 = _mm256_add_ps(dequant8(a + 8, p->a_zero_point, p->a_scale, s8), bterm);
      store16(y, _mm256_div_ps(s0, vsy), _mm256_div_ps(s1, vsy), p->y_zero_point, p);
    }
  } else {
    const __m256 vra = _mm256_set1_ps(p->a_ratio), vfix = _mm256_set1_ps(qi_qu8_add_fixed_b(vb, p));
    for (; n >= 16; n -= 16, a += 16, y += 16)
      store16(y, _mm256_fmadd_ps(load8(a, s8), vra, vfix), _mm256_fmadd_ps(load8(a + 8, s8), vra, vfix), 0, p);
  }
  if (n) qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
}
