/* Template of the SIMD W4A32 ukernels with the packed RIGHT operand (the xw orientation of f32-gemm-qb4w.h: mr rows
 * of A, read in place, times the packed NR-column qb4w panels). The includer first includes a vec-<isa>.h and
 * defines QI_QB4W_XW_FN, QI_QB4W_XW_MR (rows of one register tile), QI_QB4W_XW_TILES (register tiles per call: the
 * config's xw_mr is MR * TILES) and QI_QB4W_XW_NV (vectors per panel row: NR = NV * QV_N).
 *
 * Per panel, K is walked in chunks of KC = 4096 / NR k-steps (16 KiB): the chunk's NR columns are dequantized once
 * (per group of 8 steps and vector of words: AND, convert, multiply-add with the block's scale and zs, shift:
 * qb4w_dequant) into KC x NR floats on the stack, then each register tile of MR rows runs the FP32 xw kernel's
 * loop over them (MR broadcasts of A, MR * NV fused multiply-adds per step), so the dequantization is shared by
 * up to MR * TILES rows. A tile starts from the bias in the first chunk and from its own partial sums in C in the
 * others, and stores unclamped partial sums but in the last chunk. Dequantizing in registers beside the
 * accumulators spilled them (6x16 on AVX2 ran at half the FP32 kernel's speed).
 *
 * Rows past mr: whole tiles past mr are skipped; in the last tile they read and write row mr - 1 (stored before
 * it, as kernels/f32-gemm/xw-simd.h). A column tail computes full vectors (the panel is zero past N) and reads /
 * stores C with masks. A is never read past kc (the last group's steps past kc are dequantized, never used). */
#include "kernels/f32-gemm-qb4w/dequant-simd.h"

#define QI_QB4W_XW_NR (QI_QB4W_XW_NV * QV_N)
#define QI_QB4W_XW_KC (4096 / QI_QB4W_XW_NR)

/* One register tile: MR rows of A times the n dequantized steps from k0 (deq), accumulated onto the bias (first
 * chunk) or C's partial sums; clamped in the last chunk. cols (1..NR) columns are stored. */
static inline __attribute__((always_inline)) void qb4w_xw_tile(size_t cols, size_t k0, size_t n, bool first, bool last,
                                                               const float *restrict bias,
                                                               const float *const a_row[QI_QB4W_XW_MR],
                                                               const float *restrict deq,
                                                               float *const c_row[QI_QB4W_XW_MR], qv vmin, qv vmax) {
  qv acc[QI_QB4W_XW_MR][QI_QB4W_XW_NV];
#pragma GCC unroll 16
  for (size_t r = 0; r < QI_QB4W_XW_MR; r++)
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_XW_NV; v++)
      acc[r][v] = first ? qv_load(bias + v * QV_N) : qb4w_load_partial(c_row[r], v, cols);
QI_QB4W_UNROLL_STEPS
  for (size_t i = 0; i < n; i++) {
    qv wv[QI_QB4W_XW_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_XW_NV; v++) wv[v] = qv_load(deq + i * QI_QB4W_XW_NR + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_XW_MR; r++) {
      const qv ar = qv_bcast(a_row[r] + k0 + i);
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_QB4W_XW_NV; v++) acc[r][v] = qv_fma(ar, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_QB4W_XW_MR; i++) {
    const size_t r = QI_QB4W_XW_MR - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_XW_NV; v++) qb4w_store(c_row[r], v, acc[r][v], cols, last, vmin, vmax);
  }
}

/* The register tiles of one chunk of one panel. */
static inline __attribute__((always_inline)) void qb4w_xw_chunk(size_t mr, size_t cols, size_t k0, size_t n,
                                                                bool first, bool last, const float *restrict bias,
                                                                const float *restrict a, size_t a_stride,
                                                                const float *restrict deq, float *restrict c,
                                                                size_t c_stride, qv vmin, qv vmax) {
  for (size_t r0 = 0; r0 < mr; r0 += QI_QB4W_XW_MR) {
    const float *a_row[QI_QB4W_XW_MR];
    float *c_row[QI_QB4W_XW_MR];
    for (size_t r = 0; r < QI_QB4W_XW_MR; r++) {
      const size_t row = r0 + r < mr ? r0 + r : mr - 1;
      a_row[r] = a + row * a_stride;
      c_row[r] = c + row * c_stride;
    }
    qb4w_xw_tile(cols, k0, n, first, last, bias, a_row, deq, c_row, vmin, vmax);
  }
}

QI_KERNEL_ALIGN void QI_QB4W_XW_FN(size_t mr, size_t nc, size_t kc, const float *restrict a, size_t a_stride,
                                   const void *restrict packed_w, float *restrict c, size_t c_stride,
                                   const qi_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= QI_QB4W_XW_MR * QI_QB4W_XW_TILES);
  assert(nc >= 1 && kc >= 1);
  assert(a != NULL && packed_w != NULL && c != NULL && params != NULL);
  assert(params->bl >= QI_F32_QB4W_GROUP && params->bl % QI_F32_QB4W_GROUP == 0);
  assert(mr == 1 || (a_stride >= kc && c_stride >= nc));
  const qv vmin = qv_set1(params->minmax.min), vmax = qv_set1(params->minmax.max);
  const size_t bl = params->bl, panel = qi_f32_gemm_qb4w_panel_bytes(QI_QB4W_XW_NR, kc, bl);
  float deq[QI_QB4W_XW_KC * QI_QB4W_XW_NR];
  const uint8_t *w = packed_w;
  for (; nc != 0; w += panel) {
    const size_t cols = nc < QI_QB4W_XW_NR ? nc : QI_QB4W_XW_NR;
    const float *bias = (const float *)(const void *)w;
    for (size_t k0 = 0; k0 < kc; k0 += QI_QB4W_XW_KC) {
      const size_t n = kc - k0 < QI_QB4W_XW_KC ? kc - k0 : QI_QB4W_XW_KC;
      const bool first = k0 == 0, last = k0 + n == kc;
      qb4w_dequant_range(w + QI_QB4W_XW_NR * sizeof(float), QI_QB4W_XW_NV, bl, k0, k0 + n, deq);
      if (QI_QB4W_UNROLL > 1 && cols == QI_QB4W_XW_NR)
        qb4w_xw_chunk(mr, QI_QB4W_XW_NR, k0, n, first, last, bias, a, a_stride, deq, c, c_stride, vmin, vmax);
      else /* the one copy of the compact builds */
        qb4w_xw_chunk(mr, cols, k0, n, first, last, bias, a, a_stride, deq, c, c_stride, vmin, vmax);
    }
    c += cols;
    nc -= cols;
  }
}

#undef QI_QB4W_XW_NR
#undef QI_QB4W_XW_KC
