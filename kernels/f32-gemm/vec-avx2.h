/* The vector primitives of the f32 gemm templates (gemm-simd.h, xw-simd.h) on AVX2 + FMA: 8 floats a ymm.
 * Tails of n < 8 lanes load with vmaskmovps (lanes past n read as 0 and never touch memory) and store with it. */
#ifndef QI_F32_GEMM_VEC_AVX2_H
#define QI_F32_GEMM_VEC_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef __m256 qi_vf;
#define QI_VF_LANES 8

/* 8 lanes of -1 then 8 of 0: the mask of the first n lanes starts at index 8 - n. */
static const int32_t qi_vf_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i qi_vf_mask(size_t n) { return _mm256_loadu_si256((const __m256i *)&qi_vf_mask_table[8 - n]); }

static inline qi_vf qi_vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline qi_vf qi_vf_load_tail(const float *p, size_t n) { return _mm256_maskload_ps(p, qi_vf_mask(n)); }
static inline void qi_vf_store(float *p, qi_vf v) { _mm256_storeu_ps(p, v); }
static inline void qi_vf_store_tail(float *p, qi_vf v, size_t n) { _mm256_maskstore_ps(p, qi_vf_mask(n), v); }
static inline qi_vf qi_vf_set1(float x) { return _mm256_set1_ps(x); }
static inline qi_vf qi_vf_bcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline qi_vf qi_vf_fma(qi_vf a, qi_vf b, qi_vf c) { return _mm256_fmadd_ps(a, b, c); } /* a * b + c */
static inline qi_vf qi_vf_min(qi_vf a, qi_vf b) { return _mm256_min_ps(a, b); }
static inline qi_vf qi_vf_max(qi_vf a, qi_vf b) { return _mm256_max_ps(a, b); }

#endif /* QI_F32_GEMM_VEC_AVX2_H */
