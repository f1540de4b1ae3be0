/* The vector primitives of the f32 gemm templates (gemm-simd.h, xw-simd.h) on AVX-512 F: 16 floats a zmm.
 * Tails of n < 16 lanes use a __mmask16 (masked-off lanes read as 0 and never touch memory). */
#ifndef QI_F32_GEMM_VEC_AVX512F_H
#define QI_F32_GEMM_VEC_AVX512F_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef __m512 qi_vf;
#define QI_VF_LANES 16

static inline __mmask16 qi_vf_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }

static inline qi_vf qi_vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline qi_vf qi_vf_load_tail(const float *p, size_t n) { return _mm512_maskz_loadu_ps(qi_vf_mask(n), p); }
static inline void qi_vf_store(float *p, qi_vf v) { _mm512_storeu_ps(p, v); }
static inline void qi_vf_store_tail(float *p, qi_vf v, size_t n) { _mm512_mask_storeu_ps(p, qi_vf_mask(n), v); }
static inline qi_vf qi_vf_set1(float x) { return _mm512_set1_ps(x); }
static inline qi_vf qi_vf_bcast(const float *p) { return _mm512_set1_ps(*p); }
static inline qi_vf qi_vf_fma(qi_vf a, qi_vf b, qi_vf c) { return _mm512_fmadd_ps(a, b, c); } /* a * b + c */
static inline qi_vf qi_vf_min(qi_vf a, qi_vf b) { return _mm512_min_ps(a, b); }
static inline qi_vf qi_vf_max(qi_vf a, qi_vf b) { return _mm512_max_ps(a, b); }

#endif /* QI_F32_GEMM_VEC_AVX512F_H */
