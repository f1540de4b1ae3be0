/* Template of the SIMD W4A32 ukernels with the packed LEFT operand (the "w" orientation of f32-gemm-qb4w.h: one
 * MR-row qb4w panel times B, read unpacked). The includer first includes a vec-<isa>.h and defines QI_QB4W_W_FN,
 * QI_QB4W_W_MV (vectors of words: the panel has MR = MV * QV_N rows), QI_QB4W_W_RT (rows of a register tile, a
 * divisor of MR) and QI_QB4W_W_NV (vectors of B per row: NR = NV * QV_N, 1 or 2).
 *
 * K is walked in chunks of KC steps (KC * MR floats, about 16 KiB, on the stack): the chunk of the panel's MR rows
 * is dequantized once (qb4w_dequant_range), then for each column tile of B each register tile of RT rows runs
 * kernels/f32-gemm/gemm-simd.h's loop over it (NV vectors of row k of B, RT weights broadcast from the stack,
 * RT * NV fused multiply-adds per step), so the dequantization is shared by all nc columns. A tile starts from the
 * bias in the first chunk and from its partial sums in C in the others, and stores unclamped partial sums but in
 * the last chunk. B is never read past kc rows nor past nc columns (the last vector of a column tail is loaded
 * with a mask); register tiles wholly past mr are skipped, and in the last one the rows past mr read and write
 * row mr - 1, stored before it. */
#include "kernels/f32-gemm-qb4w/dequant-simd.h"

#if QI_QB4W_W_NV > 2
#error "w-simd.h: the column tail handles NV <= 2"
#endif
#define QI_QB4W_W_MR (QI_QB4W_W_MV * QV_N)
#define QI_QB4W_W_NR (QI_QB4W_W_NV * QV_N)
#define QI_QB4W_W_KC (4096 / QI_QB4W_W_MR / QI_F32_QB4W_GROUP * QI_F32_QB4W_GROUP)

/* One register tile of RT rows (their weights at deq[i * MR + r]) x (nv vectors) of B over the n steps from row b;
 * last_n (1..QV_N) is the width of the last vector when `tail`. */
static inline __attribute__((always_inline)) void qb4w_w_tile(size_t nv, bool tail, size_t last_n, size_t n,
                                                              bool first, bool last, const float *restrict bias,
                                                              const float *restrict deq, const float *restrict b,
                                                              size_t b_stride, float *const c_row[QI_QB4W_W_RT],
                                                              qv vmin, qv vmax) {
  const size_t cols = (nv - 1) * QV_N + last_n;
  qv acc[QI_QB4W_W_RT][QI_QB4W_W_NV];
#pragma GCC unroll 16
  for (size_t r = 0; r < QI_QB4W_W_RT; r++) {
    const qv bias_r = qv_bcast(bias + r);
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) acc[r][v] = first ? bias_r : qb4w_load_partial(c_row[r], v, cols);
  }
QI_QB4W_UNROLL_STEPS
  for (size_t i = 0; i < n; i++, b += b_stride) {
    qv bv[QI_QB4W_W_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++)
      bv[v] = tail && v + 1 == nv ? qv_load_tail(b + v * QV_N, qt_make(last_n)) : qv_load(b + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_W_RT; r++) {
      const qv wr = qv_bcast(deq + i * QI_QB4W_W_MR + r);
#pragma GCC unroll 4
      for (size_t v = 0; v < nv; v++) acc[r][v] = qv_fma(wr, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_QB4W_W_RT; i++) {
    const size_t r = QI_QB4W_W_RT - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) qb4w_store(c_row[r], v, acc[r][v], cols, last, vmin, vmax);
  }
}

/* The register tiles of one column tile of one chunk. */
static inline __attribute__((always_inline)) void qb4w_w_rows(size_t mr, size_t nv, bool tail, size_t last_n, size_t n,
                                                              bool first, bool last, const float *restrict bias,
                                                              const float *restrict deq, const float *restrict b,
                                                              size_t b_stride, float *restrict c, size_t c_stride,
                                                              qv vmin, qv vmax) {
  for (size_t r0 = 0; r0 < mr; r0 += QI_QB4W_W_RT) {
    float *c_row[QI_QB4W_W_RT];
    for (size_t r = 0; r < QI_QB4W_W_RT; r++) c_row[r] = c + (r0 + r < mr ? r0 + r : mr - 1) * c_stride;
    qb4w_w_tile(nv, tail, last_n, n, first, last, bias + r0, deq + r0, b, b_stride, c_row, vmin, vmax);
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
  const qv vmin = qv_set1(params->minmax.min), vmax = qv_set1(params->minmax.max);
  const uint8_t *w = packed_w;
  const float *bias = (const float *)(const void *)w;
  float deq[QI_QB4W_W_KC * QI_QB4W_W_MR];
  for (size_t k0 = 0; k0 < kc; k0 += QI_QB4W_W_KC) {
    const size_t n = kc - k0 < QI_QB4W_W_KC ? kc - k0 : QI_QB4W_W_KC;
    const bool first = k0 == 0, last = k0 + n == kc;
    qb4w_dequant_range(w + QI_QB4W_W_MR * sizeof(float), QI_QB4W_W_MV, params->bl, k0, k0 + n, deq);
    const float *b_k = b + k0 * b_stride;
    size_t j = 0;
    for (; j + QI_QB4W_W_NR <= nc; j += QI_QB4W_W_NR)
      qb4w_w_rows(mr, QI_QB4W_W_NV, false, QV_N, n, first, last, bias, deq, b_k + j, b_stride, c + j, c_stride, vmin,
                  vmax);
    if (j == nc) continue;
    /* the tail: as many vectors as it needs, the last one masked */
#if QI_QB4W_W_NV >= 2
    if (nc - j > QV_N) {
      qb4w_w_rows(mr, 2, true, nc - j - QV_N, n, first, last, bias, deq, b_k + j, b_stride, c + j, c_stride, vmin,
                  vmax);
      continue;
    }
#endif
    qb4w_w_rows(mr, 1, true, nc - j, n, first, last, bias, deq, b_k + j, b_stride, c + j, c_stride, vmin, vmax);
  }
}

#undef QI_QB4W_W_MR
#undef QI_QB4W_W_NR
#undef QI_QB4W_W_KC
