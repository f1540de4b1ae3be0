/* Width-generic FP32 vector primitives, AVX2 + FMA: 8 lanes of __m256. The SIMD bodies of the f32 depthwise,
 * pooling and multiply-add kernels are written once over these names (qv_*) and instantiated by an -avx2.c file
 * (this header) and an -avx512f.c file (vec-avx512f.h: the same names on 16 lanes, tails by __mmask16), so the
 * logic the AVX2 tests run is the logic of the AVX-512 build. Loads and stores are unaligned. */
#ifndef QI_F32_VEC_AVX2_H
#define QI_F32_VEC_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_N 8 /* lanes */
#define QV_ISA avx2
typedef __m256 qv_f32;

static inline qv_f32 qv_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void qv_store(float *p, qv_f32 v) { _mm256_storeu_ps(p, v); }
static inline qv_f32 qv_set1(float x) { return _mm256_set1_ps(x); }
static inline qv_f32 qv_zero(void) { return _mm256_setzero_ps(); }
static inline qv_f32 qv_add(qv_f32 a, qv_f32 b) { return _mm256_add_ps(a, b); }
static inline qv_f32 qv_mul(qv_f32 a, qv_f32 b) { return _mm256_mul_ps(a, b); }
static inline qv_f32 qv_div(qv_f32 a, qv_f32 b) { return _mm256_div_ps(a, b); }
static inline qv_f32 qv_fma(qv_f32 a, qv_f32 b, qv_f32 c) { return _mm256_fmadd_ps(a, b, c); } /* a * b + c */
/* a > b ? a : b (b when either is NaN), as the scalar kernels' comparisons. */
static inline qv_f32 qv_max(qv_f32 a, qv_f32 b) { return _mm256_max_ps(a, b); }
/* a < b ? a : b (b when either is NaN). */
static inline qv_f32 qv_min(qv_f32 a, qv_f32 b) { return _mm256_min_ps(a, b); }

/* Lanes [0, n) of p, n < QV_N; the other lanes read nothing and are `fill`. */
static inline __m256i qv_mask_(size_t n) {
  static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}
static inline qv_f32 qv_load_tail(const float *p, size_t n, float fill) {
  const __m256i m = qv_mask_(n);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
/* Stores lanes [0, n) of v, n < QV_N; nothing else is written. */
static inline void qv_store_tail(float *p, qv_f32 v, size_t n) { _mm256_maskstore_ps(p, qv_mask_(n), v); }

/* The even lanes of the 2 * QV_N floats a:b into *even, the odd ones into *odd (stride-2 deinterleave). */
static inline void qv_deinterleave2(qv_f32 a, qv_f32 b, qv_f32 *even, qv_f32 *odd) {
  /* per 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit quarters reordered 0 2 1 3 */
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* v, hidden from the optimizer: a loop that copies or fills with it is not turned into a memcpy / memset call
 * (which costs more than the copy of a short row). */
static inline qv_f32 qv_opaque(qv_f32 v) {
  __asm__("" : "+x"(v));
  return v;
}

/* The sum of the lanes as a fixed tree: lanes l and l + 4, then l and l + 2, then 0 and 1. */
static inline float qv_hsum(qv_f32 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float qv_hmax(qv_f32 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#endif /* QI_F32_VEC_AVX2_H */
