/* The FP32 vector primitives of vec-avx2.h (which describes them) on AVX-512 F/BW/DQ/VL + FMA: zmm, 16 lanes, lane
 * masks and row tails in k registers (__mmask16). Same names and meanings. */
#ifndef QI_F32_VEC_AVX512F_H
#define QI_F32_VEC_AVX512F_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QV_N 16 /* lanes */
#define QV_ISA avx512f
#define QV_CAT4_(a, b, c, d) a##b##c##d
#define QV_CAT4(a, b, c, d) QV_CAT4_(a, b, c, d)
#define QV_UKERNEL(op) QV_CAT4(qi_f32_, op, _ukernel__, QV_ISA)

typedef __m512 qv;
typedef __m512i qvi;
typedef __mmask16 qm;
typedef __mmask16 qt;

static inline qt qt_make(size_t n) { return (__mmask16)((1u << n) - 1u); }
#define qv_load(p) _mm512_loadu_ps(p)
#define qv_store(p, v) _mm512_storeu_ps((p), (v))
#define qv_load_tail(p, t) _mm512_maskz_loadu_ps((t), (p))
#define qv_load_tail_fill(p, t, fill) _mm512_mask_loadu_ps((fill), (t), (p))
#define qv_store_tail(p, v, t) _mm512_mask_storeu_ps((p), (t), (v))
#define qv_tail_zero(v, t) _mm512_maskz_mov_ps((t), (v))

#define qv_set1(f) _mm512_set1_ps(f)
#define qv_bcast(p) _mm512_set1_ps(*(p))
#define qv_zero() _mm512_setzero_ps()
#define qv_add(a, b) _mm512_add_ps((a), (b))
#define qv_sub(a, b) _mm512_sub_ps((a), (b))
#define qv_mul(a, b) _mm512_mul_ps((a), (b))
#define qv_div(a, b) _mm512_div_ps((a), (b))
#define qv_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define qv_fms(a, b, c) _mm512_fmsub_ps((a), (b), (c))
#define qv_fnma(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define qv_max(a, b) _mm512_max_ps((a), (b))
#define qv_min(a, b) _mm512_min_ps((a), (b))
#define qv_sqrt(a) _mm512_sqrt_ps(a)
#define qv_and(a, b) _mm512_and_ps((a), (b))
#define qv_or(a, b) _mm512_or_ps((a), (b))
#define qv_xor(a, b) _mm512_xor_ps((a), (b))
#define qv_andnot(a, b) _mm512_andnot_ps((a), (b))
#define qv_round_nearest(a) _mm512_roundscale_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define qv_round_floor(a) _mm512_roundscale_ps((a), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define qv_round_ceil(a) _mm512_roundscale_ps((a), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC)

#define qm_lt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define qm_le(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LE_OQ)
#define qm_gt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define qm_eq(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_EQ_OQ)
#define qm_nge(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_NGE_UQ)
#define qm_isnan(a) _mm512_cmp_ps_mask((a), (a), _CMP_UNORD_Q)
#define qm_or(a, b) ((qm)((a) | (b)))
#define qv_blend(m, f, t) _mm512_mask_blend_ps((m), (f), (t))

#define qvi_set1(i) _mm512_set1_epi32(i)
#define qvi_add(a, b) _mm512_add_epi32((a), (b))
#define qvi_sub(a, b) _mm512_sub_epi32((a), (b))
#define qvi_slli(a, k) _mm512_slli_epi32((a), (k))
#define qvi_srai(a, k) _mm512_srai_epi32((a), (k))
#define qv_cvt_qvi(a) _mm512_cvtps_epi32(a)
#define qvi_cvt_qv(a) _mm512_cvtepi32_ps(a)
#define qv_as_qvi(a) _mm512_castps_si512(a)
#define qvi_as_qv(a) _mm512_castsi512_ps(a)

static inline void qv_deinterleave2(qv a, qv b, qv *even, qv *odd) {
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *even = _mm512_permutex2var_ps(a, ie, b);
  *odd = _mm512_permutex2var_ps(a, io, b);
}

static inline qv qv_opaque(qv v) {
  __asm__("" : "+v"(v));
  return v;
}

/* Lanes l and l + 8 first, then vec-avx2.h's tree. */
static inline float qv_hsum(qv v) {
  const __m256 t = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float qv_hmax(qv v) { return _mm512_reduce_max_ps(v); }

#endif /* QI_F32_VEC_AVX512F_H */
