/* Dequantization of packed qb4w words (f32-gemm-qb4w.h) on the qv of the vec-<isa>.h included first, shared by
 * the family's SIMD templates (xw-simd.h, w-simd.h): the dequantization of a chunk of k-steps into floats on the
 * stack, and the loads and stores of C's partial sums between chunks. */
#ifndef QI_F32_GEMM_QB4W_DEQUANT_SIMD_H
#define QI_F32_GEMM_QB4W_DEQUANT_SIMD_H

#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"
#include "kernels/f32-gemm/store-simd.h"

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

/* k-steps [k0, k1) of a P-channel panel (P = nv * QV_N, nv <= 4) whose first block is at `blocks` into
 * deq[(k - k0) * P + c] (k0 a multiple of 8; the last group is dequantized whole, its steps past k1 from zero
 * nibbles). One vector of words at a time: few registers. */
static inline __attribute__((always_inline)) void qb4w_dequant_range(const uint8_t *restrict blocks, size_t nv,
                                                                     size_t bl, size_t k0, size_t k1,
                                                                     float *restrict deq) {
  const size_t p = nv * QV_N;
  const qv m15 = qvi_as_qv(qvi_set1(15));
  for (size_t k = k0; k < k1;) {
    const size_t b = k / bl, kend = k1 < (b + 1) * bl ? k1 : (b + 1) * bl;
    const uint8_t *blk = blocks + b * qi_f32_gemm_qb4w_block_bytes(p, bl);
    const uint8_t *words = blk + (2 + (k - b * bl) / QI_F32_QB4W_GROUP) * p * sizeof(float);
    qv s[4], zs[4];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) qb4w_block_params(blk, p, v, &s[v], &zs[v]);
    for (; k < kend; k += QI_F32_QB4W_GROUP, words += p * sizeof(uint32_t)) {
      float *d = deq + (k - k0) * p;
#pragma GCC unroll 4
      for (size_t v = 0; v < nv; v++) {
        qvi x = qb4w_load_words(words + v * QV_N * sizeof(uint32_t));
QI_QB4W_UNROLL_STEPS
        for (size_t i = 0; i < QI_F32_QB4W_GROUP; i++)
          qv_store(d + i * p + v * QV_N, qb4w_dequant(&x, s[v], zs[v], m15));
      }
    }
  }
}

/* Vector v of a row of cols floats as a partial sum: 0 past cols. */
static inline __attribute__((always_inline)) qv qb4w_load_partial(const float *row, size_t v, size_t cols) {
  const size_t v0 = v * QV_N;
  if (cols >= v0 + QV_N) return qv_load(row + v0);
  return cols > v0 ? qv_load_tail(row + v0, qt_make(cols - v0)) : qv_zero();
}

/* Stores vector v of a row of cols floats: clamped (the last chunk) or as a partial sum. */
static inline __attribute__((always_inline)) void qb4w_store(float *row, size_t v, qv y, size_t cols, bool last,
                                                             qv vmin, qv vmax) {
  const size_t v0 = v * QV_N;
  if (last) gemm_store_clamped(row, v, y, cols, vmin, vmax);
  else if (cols >= v0 + QV_N) qv_store(row + v0, y);
  else if (cols > v0) qv_store_tail(row + v0, y, qt_make(cols - v0));
}

#endif /* QI_F32_GEMM_QB4W_DEQUANT_SIMD_H */
