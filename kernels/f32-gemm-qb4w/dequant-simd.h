/* Dequantization of packed qb4w words (f32-gemm-qb4w.h) on the qv of the vec-<isa>.h included first, shared by
 * the family's SIMD templates (xw-simd.h, w-simd.h). */
#ifndef QI_F32_GEMM_QB4W_DEQUANT_SIMD_H
#define QI_F32_GEMM_QB4W_DEQUANT_SIMD_H

#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

/* How far the templates unroll the 8 steps of a group (an includer may define it first): 8 on x86; the NEON files
 * take 1, which keeps their text small (tools/arm-static-check.sh's size bar) with 16 FMAs per step still. */
#ifndef QI_QB4W_UNROLL
#define QI_QB4W_UNROLL 8
#endif
#define QI_QB4W_PRAGMA_(x) _Pragma(#x)
#define QI_QB4W_PRAGMA(x) QI_QB4W_PRAGMA_(x)
#define QI_QB4W_UNROLL_STEPS QI_QB4W_PRAGMA(GCC unroll QI_QB4W_UNROLL)

/* QV_N consecutive words at p (4-byte aligned) as integers. */
static inline __attribute__((always_inline)) qvi qb4w_load_words(const uint8_t *p) {
  return qv_as_qvi(qv_load((const float *)(const void *)p));
}

/* The k-step in the low nibbles of *x (one per channel lane) as u * s + zs; *x moves to the next k-step.
 * m15 is the integer 15 in every lane (seen as floats: the AND runs on the float domain). */
static inline __attribute__((always_inline)) qv qb4w_dequant(qvi *x, qv s, qv zs, qv m15) {
  const qv u = qvi_cvt_qv(qv_as_qvi(qv_and(qvi_as_qv(*x), m15)));
  *x = qvi_srai(*x, 4);
  return qv_fma(u, s, zs);
}

/* The block of a P-channel panel at p: its QV_N-lane vector v of scales and of zs. */
static inline __attribute__((always_inline)) void qb4w_block_params(const uint8_t *p, size_t chans, size_t v, qv *s,
                                                                    qv *zs) {
  const float *f = (const float *)(const void *)p;
  *s = qv_load(f + v * QV_N);
  *zs = qv_load(f + chans + v * QV_N);
}

#endif /* QI_F32_GEMM_QB4W_DEQUANT_SIMD_H */
