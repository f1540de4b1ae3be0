/* The FP32 vector primitives of every SIMD f32 kernel family, AVX2 + FMA: ymm, 8 lanes. The families' templates
 * (gemm-simd.h, xw-simd.h, dwconv-simd.h, pool-simd.h, stage-rows.h, vmulcaddc-simd.h, vunary-simd.h, vmath-simd.h,
 * vbinary-simd.h, reduce-simd.h, softmax-simd.h, layernorm-simd.h, attention-simd.h) are written once over these
 * names and instantiated by an -avx2.c file (this header) and an -avx512f.c file (vec-avx512f.h: the same names
 * and meanings on zmm, 16 lanes, masks in k registers), so the logic the AVX2 tests run is the AVX-512 build's.
 *
 *   qv: a vector of QV_N floats; qvi: QV_N int32; qm: a lane mask (here a vector of all-ones / zero lanes);
 *   qt: the mask of a row's first n < QV_N elements, from qt_make(n): masked loads read 0 (or `fill`) in the
 *   other lanes and never touch their memory, masked stores write nothing there. Loads and stores are unaligned.
 *   qv_max(a, b) / qv_min(a, b) are maxps / minps: a > b ? a : b (a < b ? a : b), so b when either is NaN, as the
 *   scalar kernels' comparisons. */
#ifndef QI_F32_VEC_AVX2_H
#define QI_F32_VEC_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_N 8 /* lanes */
#define QV_ISA avx2
/* qi_f32_<op>_ukernel__<isa>: the name of a kernel a template defines */
#define QV_CAT4_(a, b, c, d) a##b##c##d
#define QV_CAT4(a, b, c, d) QV_CAT4_(a, b, c, d)
#define QV_UKERNEL(op) QV_CAT4(qi_f32_, op, _ukernel__, QV_ISA)

typedef __m256 qv;
typedef __m256i qvi;
typedef __m256 qm;
typedef __m256i qt;

/* 8 lanes of -1 then 8 of 0: the mask of the first n lanes starts at index 8 - n. */
static inline qt qt_make(size_t n) {
  static const int32_t ones_then_zeros[2 * QV_N] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + QV_N - n));
}
#define qv_load(p) _mm256_loadu_ps(p)
#define qv_store(p, v) _mm256_storeu_ps((p), (v))
#define qv_load_tail(p, t) _mm256_maskload_ps((p), (t)) /* lanes outside t: 0 */
#define qv_load_tail_fill(p, t, fill) /* lanes outside t: the qv fill */ \
  _mm256_blendv_ps((fill), _mm256_maskload_ps((p), (t)), _mm256_castsi256_ps(t))
#define qv_store_tail(p, v, t) _mm256_maskstore_ps((p), (t), (v))
#define qv_tail_zero(v, t) _mm256_and_ps((v), _mm256_castsi256_ps(t)) /* lanes outside t: 0 */

#define qv_set1(f) _mm256_set1_ps(f)
#define qv_bcast(p) _mm256_broadcast_ss(p) /* *p in every lane, loaded by the broadcast */
#define qv_zero() _mm256_setzero_ps()
#define qv_add(a, b) _mm256_add_ps((a), (b))
#define qv_sub(a, b) _mm256_sub_ps((a), (b))
#define qv_mul(a, b) _mm256_mul_ps((a), (b))
#define qv_div(a, b) _mm256_div_ps((a), (b))
#define qv_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))   /* a * b + c */
#define qv_fms(a, b, c) _mm256_fmsub_ps((a), (b), (c))   /* a * b - c */
#define qv_fnma(a, b, c) _mm256_fnmadd_ps((a), (b), (c)) /* c - a * b */
#define qv_max(a, b) _mm256_max_ps((a), (b))
#define qv_min(a, b) _mm256_min_ps((a), (b))
#define qv_sqrt(a) _mm256_sqrt_ps(a)
#define qv_and(a, b) _mm256_and_ps((a), (b))
#define qv_or(a, b) _mm256_or_ps((a), (b))
#define qv_xor(a, b) _mm256_xor_ps((a), (b))
#define qv_andnot(a, b) _mm256_andnot_ps((a), (b)) /* ~a & b */
#define qv_round_nearest(a) _mm256_round_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define qv_round_floor(a) _mm256_round_ps((a), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define qv_round_ceil(a) _mm256_round_ps((a), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC)

#define qm_lt(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define qm_le(a, b) _mm256_cmp_ps((a), (b), _CMP_LE_OQ)
#define qm_gt(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define qm_eq(a, b) _mm256_cmp_ps((a), (b), _CMP_EQ_OQ)
#define qm_nge(a, b) _mm256_cmp_ps((a), (b), _CMP_NGE_UQ) /* !(a >= b): true for NaN */
#define qm_isnan(a) _mm256_cmp_ps((a), (a), _CMP_UNORD_Q)
#define qm_or(a, b) _mm256_or_ps((a), (b))
#define qv_blend(m, f, t) _mm256_blendv_ps((f), (t), (m)) /* m ? t : f per lane */

#define qvi_set1(i) _mm256_set1_epi32(i)
#define qvi_add(a, b) _mm256_add_epi32((a), (b))
#define qvi_sub(a, b) _mm256_sub_epi32((a), (b))
#define qvi_slli(a, k) _mm256_slli_epi32((a), (k))
#define qvi_srai(a, k) _mm256_srai_epi32((a), (k))
#define qv_cvt_qvi(a) _mm256_cvtps_epi32(a) /* round to nearest */
#define qvi_cvt_qv(a) _mm256_cvtepi32_ps(a)
#define qv_as_qvi(a) _mm256_castps_si256(a)
#define qvi_as_qv(a) _mm256_castsi256_ps(a)

/* The even lanes of the 2 * QV_N floats a:b into *even, the odd ones into *odd (stride-2 deinterleave). */
static inline void qv_deinterleave2(qv a, qv b, qv *even, qv *odd) {
  /* per 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit quarters reordered 0 2 1 3 */
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* v, hidden from the optimizer: a loop that copies or fills with it is not turned into a memcpy / memset call
 * (which costs more than the copy of a short row). */
static inline qv qv_opaque(qv v) {
  __asm__("" : "+x"(v));
  return v;
}

/* The sum of the lanes as a fixed tree: lanes l and l + 4, then l and l + 2, then 0 and 1 (kernels/f32-pool
 * relies on this order for sums identical on every path). */
static inline float qv_hsum(qv v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
/* The largest lane (maxps's NaN rule at each step of the same tree). */
static inline float qv_hmax(qv v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#endif /* QI_F32_VEC_AVX2_H */
