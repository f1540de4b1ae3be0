/* Width-generic FP32 vector primitives, AVX-512 F/DQ + FMA: 16 lanes of __m512, tails by __mmask16. The same
 * names and meanings as vec-avx2.h (which describes their use). */
#ifndef QI_F32_VEC_AVX512F_H
#define QI_F32_VEC_AVX512F_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_N 16 /* lanes */
#define QV_ISA avx512f
typedef __m512 qv_f32;

static inline qv_f32 qv_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void qv_store(float *p, qv_f32 v) { _mm512_storeu_ps(p, v); }
static inline qv_f32 qv_set1(float x) { return _mm512_set1_ps(x); }
static inline qv_f32 qv_zero(void) { return _mm512_setzero_ps(); }
static inline qv_f32 qv_add(qv_f32 a, qv_f32 b) { return _mm512_add_ps(a, b); }
static inline qv_f32 qv_mul(qv_f32 a, qv_f32 b) { return _mm512_mul_ps(a, b); }
static inline qv_f32 qv_div(qv_f32 a, qv_f32 b) { return _mm512_div_ps(a, b); }
static inline qv_f32 qv_fma(qv_f32 a, qv_f32 b, qv_f32 c) { return _mm512_fmadd_ps(a, b, c); } /* a * b + c */
/* a > b ? a : b (b when either is NaN), as the scalar kernels' comparisons. */
static inline qv_f32 qv_max(qv_f32 a, qv_f32 b) { return _mm512_max_ps(a, b); }
/* a < b ? a : b (b when either is NaN). */
static inline qv_f32 qv_min(qv_f32 a, qv_f32 b) { return _mm512_min_ps(a, b); }

static inline __mmask16 qv_mask_(size_t n) { return (__mmask16)((1u << n) - 1u); }
/* Lanes [0, n) of p, n < QV_N; the other lanes read nothing and are `fill`. */
static inline qv_f32 qv_load_tail(const float *p, size_t n, float fill) {
  return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), qv_mask_(n), p);
}
/* Stores lanes [0, n) of v, n < QV_N; nothing else is written. */
static inline void qv_store_tail(float *p, qv_f32 v, size_t n) { _mm512_mask_storeu_ps(p, qv_mask_(n), v); }

/* The even lanes of the 2 * QV_N floats a:b into *even, the odd ones into *odd (stride-2 deinterleave). */
static inline void qv_deinterleave2(qv_f32 a, qv_f32 b, qv_f32 *even, qv_f32 *odd) {
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *even = _mm512_permutex2var_ps(a, ie, b);
  *odd = _mm512_permutex2var_ps(a, io, b);
}

/* v, hidden from the optimizer: a loop that copies or fills with it is not turned into a memcpy / memset call
 * (which costs more than the copy of a short row). */
static inline qv_f32 qv_opaque(qv_f32 v) {
  __asm__("" : "+v"(v));
  return v;
}

/* The sum of the lanes as a fixed tree: lanes l and l + 8, then as vec-avx2.h's qv_hsum (l and l + 4, l and l + 2,
 * 0 and 1), which kernels/f32-pool relies on for sums identical on every path. */
static inline float qv_hsum(qv_f32 v) {
  const __m256 t = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float qv_hmax(qv_f32 v) { return _mm512_reduce_max_ps(v); }

#endif /* QI_F32_VEC_AVX512F_H */
