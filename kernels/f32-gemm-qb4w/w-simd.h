/* Template of the SIMD W4A32 ukernels with the packed LEFT operand (the "w" orientation of f32-gemm-qb4w.h: one
 * MR-row qb4w panel times B, read unpacked). The includer first includes a vec-<isa>.h and defines QI_QB4W_W_FN,
 * QI_QB4W_W_MV (vectors of words: the panel has MR = MV * QV_N rows), QI_QB4W_W_RT (rows of a register tile, a
 * divisor of MR) and QI_QB4W_W_NV (vectors of B per row: NR = NV * QV_N).
 *
 * K is walked in chunks of KC steps (KC * MR floats, about 16 KiB, on the stack): the chunk of the panel's MR rows
 * is dequantized once (qb4w_dequant_range), then for each column tile of B each register tile of RT rows runs
 * kernels/f32-gemm/gemm-simd.h's loop over it (NV vectors of row k of B, RT weights broadcast from the stack,
 * RT * NV fused multiply-adds per step), so the dequantization is shared by all nc columns. A tile starts from the
 * bias in the first chunk and from its partial sums in C in the others, and stores unclamped partial sums but in
 * the last chunk. B is never read past kc rows nor past nc columns: a column tail (nc not a multiple of NR) is
 * copied, zero-padded, into an NR-wide tile on the stack and computed into another whose columns are copied to C
 * in the last chunk, so the tile has one unmasked copy (compact on Arm). Register tiles wholly past mr are
 * skipped, and in the last one the rows past mr read and write row mr - 1, stored before it. */
#include "kernels/f32-gemm-qb4w/dequant-simd.h"

#define QI_QB4W_W_MR (QI_QB4W_W_MV * QV_N)
#define QI_QB4W_W_NR (QI_QB4W_W_NV * QV_N)
#define QI_QB4W_W_KC (4096 / QI_QB4W_W_MR / QI_F32_QB4W_GROUP * QI_F32_QB4W_GROUP)

/* One register tile of RT rows (their weights at deq[i * MR + r]) x NR columns of B over the n steps from row b,
 * accumulated onto the bias (first chunk) or C's partial sums; clamped in the last chunk. */
static inline __attribute__((always_inline)) void qb4w_w_tile(size_t n, bool first, bool last,
                                                              const float *restrict bias, const float *restrict deq,
                                                              const float *restrict b, size_t b_stride,
                                                              float *const c_row[QI_QB4W_W_RT], qv vmin, qv vmax) {
  qv acc[QI_QB4W_W_RT][QI_QB4W_W_NV];
#pragma GCC unroll 16
  for (size_t r = 0; r < QI_QB4W_W_RT; r++) {
    const qv bias_r = qv_bcast(bias + r);
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_W_NV; v++) acc[r][v] = first ? bias_r : qv_load(c_row[r] + v * QV_N);
  }
QI_QB4W_UNROLL_STEPS
  for (size_t i = 0; i < n; i++, b += b_stride) {
    qv bv[QI_QB4W_W_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_W_NV; v++) bv[v] = qv_load(b + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_W_RT; r++) {
      const qv wr = qv_bcast(deq + i * QI_QB4W_W_MR + r);
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_QB4W_W_NV; v++) acc[r][v] = qv_fma(wr, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_QB4W_W_RT; i++) {
    const size_t r = QI_QB4W_W_RT - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_W_NV; v++) qb4w_store(c_row[r], v, acc[r][v], last, vmin, vmax);
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
  /* the last column tile when nc is not a multiple of NR: its B columns (zero-padded) and its C partial sums */
  float b_tail[QI_QB4W_W_KC * QI_QB4W_W_NR], c_tail[QI_QB4W_W_MR * QI_QB4W_W_NR];
  for (size_t k0 = 0; k0 < kc; k0 += QI_QB4W_W_KC) {
    const size_t n = kc - k0 < QI_QB4W_W_KC ? kc - k0 : QI_QB4W_W_KC;
    const bool first = k0 == 0, last = k0 + n == kc;
    qb4w_dequant_range(w + QI_QB4W_W_MR * sizeof(float), QI_QB4W_W_MV, params->bl, k0, k0 + n, deq);
    for (size_t j = 0; j < nc; j += QI_QB4W_W_NR) {
      const size_t cols = nc - j < QI_QB4W_W_NR ? nc - j : QI_QB4W_W_NR;
      const float *b_tile = b + k0 * b_stride + j;
      size_t b_tile_stride = b_stride, c_tile_stride = c_stride;
      float *c_tile = c + j;
      if (cols != QI_QB4W_W_NR) {
        qb4w_copy_rows(b_tail, QI_QB4W_W_NR, b_tile, b_stride, n, cols, QI_QB4W_W_NR);
        b_tile = b_tail, b_tile_stride = QI_QB4W_W_NR;
        c_tile = c_tail, c_tile_stride = QI_QB4W_W_NR;
      }
      for (size_t r0 = 0; r0 < mr; r0 += QI_QB4W_W_RT) {
        float *c_row[QI_QB4W_W_RT];
        for (size_t r = 0; r < QI_QB4W_W_RT; r++) c_row[r] = c_tile + (r0 + r < mr ? r0 + r : mr - 1) * c_tile_stride;
        qb4w_w_tile(n, first, last, bias + r0, deq + r0, b_tile, b_tile_stride, c_row, vmin, vmax);
      }
      if (cols != QI_QB4W_W_NR && last) qb4w_copy_rows(c + j, c_stride, c_tail, QI_QB4W_W_NR, mr, cols, cols);
    }
  }
}

#undef QI_QB4W_W_MR
#undef QI_QB4W_W_NR
#undef QI_QB4W_W_KC
