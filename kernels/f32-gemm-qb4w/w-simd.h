/* Template of the SIMD W4A32 ukernels with the packed LEFT operand (the "w" orientation of f32-gemm-qb4w.h: one
 * MR-row qb4w panel times B, read unpacked). The includer first includes a vec-<isa>.h and defines QI_QB4W_W_FN,
 * QI_QB4W_W_MV (vectors of rows: MR = MV * QV_N) and QI_QB4W_W_NV (vectors per row: NR = NV * QV_N).
 *
 * Per group of 8 k-steps the tile dequantizes the panel's MR rows (MV vectors of words, qb4w_dequant) into 8 x MR
 * floats on the stack, then per k-step loads NV vectors of row k of B, broadcasts the MR weights from the stack
 * and does MR * NV fused multiply-adds (as kernels/f32-gemm/gemm-simd.h). The group is dequantized again for each
 * NR-column tile: the cost is MV vector steps per k against MR * NV multiply-adds. B is never read past kc rows
 * nor past nc columns (the last vector of a column tail is loaded and stored with a mask); the panel's rows past
 * mr are computed and stored first to row mr - 1's address, which is stored last. */
#include "kernels/f32-gemm-qb4w/dequant-simd.h"
#include "kernels/f32-gemm/store-simd.h"

#if QI_QB4W_W_NV > 2
#error "w-simd.h: the column tail handles NV <= 2"
#endif
#define QI_QB4W_W_MR (QI_QB4W_W_MV * QV_N)
#define QI_QB4W_W_NR (QI_QB4W_W_NV * QV_N)

/* n k-steps of one group from row b of B: the weights of step i at deq[i * MR + r]. */
static inline __attribute__((always_inline)) void qb4w_w_steps(size_t n, size_t nv, bool tail, size_t last_n,
                                                               const float *restrict deq, const float *restrict b,
                                                               size_t b_stride,
                                                               qv acc[QI_QB4W_W_MR][QI_QB4W_W_NV]) {
QI_QB4W_UNROLL_STEPS
  for (size_t i = 0; i < n; i++, b += b_stride) {
    qv bv[QI_QB4W_W_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++)
      bv[v] = tail && v + 1 == nv ? qv_load_tail(b + v * QV_N, qt_make(last_n)) : qv_load(b + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_W_MR; r++) {
      const qv wr = qv_bcast(deq + i * QI_QB4W_W_MR + r);
#pragma GCC unroll 4
      for (size_t v = 0; v < nv; v++) acc[r][v] = qv_fma(wr, bv[v], acc[r][v]);
    }
  }
}

/* One MR x (nv vectors) tile; last_n (1..QV_N) is the width of the last vector when `tail`. */
static inline __attribute__((always_inline)) void qb4w_w_tile(size_t nv, bool tail, size_t last_n, size_t kc,
                                                              size_t bl, const uint8_t *restrict w,
                                                              const float *restrict b, size_t b_stride,
                                                              float *const c_row[QI_QB4W_W_MR], qv vmin, qv vmax) {
  qv acc[QI_QB4W_W_MR][QI_QB4W_W_NV];
#pragma GCC unroll 16
  for (size_t r = 0; r < QI_QB4W_W_MR; r++) {
    const qv bias = qv_bcast((const float *)(const void *)w + r);
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) acc[r][v] = bias;
  }
  w += QI_QB4W_W_MR * sizeof(float);
  const qv m15 = qvi_as_qv(qvi_set1(15));
  float deq[QI_F32_QB4W_GROUP * QI_QB4W_W_MR];
  for (size_t k0 = 0; k0 < kc; k0 += bl, w += qi_f32_gemm_qb4w_block_bytes(QI_QB4W_W_MR, bl)) {
    qv s[QI_QB4W_W_MV], zs[QI_QB4W_W_MV];
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_W_MV; v++) qb4w_block_params(w, QI_QB4W_W_MR, v, &s[v], &zs[v]);
    const uint8_t *words = w + 2 * QI_QB4W_W_MR * sizeof(float);
    const size_t kend = kc - k0 < bl ? kc : k0 + bl;
    for (size_t k = k0; k < kend; k += QI_F32_QB4W_GROUP, words += QI_QB4W_W_MR * sizeof(uint32_t)) {
      qvi x[QI_QB4W_W_MV];
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_QB4W_W_MV; v++) x[v] = qb4w_load_words(words + v * QV_N * sizeof(uint32_t));
QI_QB4W_UNROLL_STEPS
      for (size_t i = 0; i < QI_F32_QB4W_GROUP; i++) /* past kc: weights of zero nibbles, never used */
#pragma GCC unroll 4
        for (size_t v = 0; v < QI_QB4W_W_MV; v++)
          qv_store(deq + i * QI_QB4W_W_MR + v * QV_N, qb4w_dequant(&x[v], s[v], zs[v], m15));
      const float *b_k = b + k * b_stride;
      const size_t n = kend - k < QI_F32_QB4W_GROUP ? kend - k : QI_F32_QB4W_GROUP;
      if (QI_QB4W_UNROLL > 1 && n == QI_F32_QB4W_GROUP)
        qb4w_w_steps(QI_F32_QB4W_GROUP, nv, tail, last_n, deq, b_k, b_stride, acc);
      else qb4w_w_steps(n, nv, tail, last_n, deq, b_k, b_stride, acc); /* the one copy of the compact builds */
    }
  }
  const size_t cols = (nv - 1) * QV_N + last_n;
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_QB4W_W_MR; i++) {
    const size_t r = QI_QB4W_W_MR - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) gemm_store_clamped(c_row[r], v, acc[r][v], cols, vmin, vmax);
  }
}

QI_KERNEL_ALIGN void QI_QB4W_W_FN(size_t mr, size_t nc, size_t kc, const void *restrict packed_w,
                                  const float *restrict b, size_t b_stride, float *restrict c, size_t c_stride,
                                  const qi_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= QI_QB4W_W_MR);
  assert(nc >= 1 && kc >= 1);
  assert(packed_w != NULL && b != NULL && c != NULL && params != NULL);
  assert(params->bl >= QI_F32_QB4W_GROUP && params->bl % QI_F32_QB4W_GROUP == 0);
  assert(mr == 1 || c_stride >= nc);
  float *c_row[QI_QB4W_W_MR];
  c_row[0] = c;
  for (size_t r = 1; r < QI_QB4W_W_MR; r++) c_row[r] = r < mr ? c_row[r - 1] + c_stride : c_row[r - 1];
  const qv vmin = qv_set1(params->minmax.min), vmax = qv_set1(params->minmax.max);
  const size_t bl = params->bl;
  const uint8_t *w = packed_w;
  for (; nc >= QI_QB4W_W_NR; nc -= QI_QB4W_W_NR, b += QI_QB4W_W_NR) {
    qb4w_w_tile(QI_QB4W_W_NV, false, QV_N, kc, bl, w, b, b_stride, c_row, vmin, vmax);
    for (size_t r = 0; r < QI_QB4W_W_MR; r++) c_row[r] += QI_QB4W_W_NR;
  }
  if (nc == 0) return;
  /* the tail: as many vectors as it needs, the last one masked */
#if QI_QB4W_W_NV >= 2
  if (nc > QV_N) {
    qb4w_w_tile(2, true, nc - QV_N, kc, bl, w, b, b_stride, c_row, vmin, vmax);
    return;
  }
#endif
  qb4w_w_tile(1, true, nc, kc, bl, w, b, b_stride, c_row, vmin, vmax);
}

#undef QI_QB4W_W_MR
#undef QI_QB4W_W_NR
