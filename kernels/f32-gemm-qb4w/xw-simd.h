/* Template of the SIMD W4A32 ukernels with the packed RIGHT operand (the xw orientation of f32-gemm-qb4w.h: mr rows
 * of A, read in place, times the packed NR-column qb4w panels). The includer first includes a vec-<isa>.h and
 * defines QI_QB4W_XW_FN, QI_QB4W_XW_MR (rows) and QI_QB4W_XW_NV (vectors per panel row: NR = NV * QV_N).
 *
 * Per group of 8 k-steps of a block the tile dequantizes the panel's NR columns once (per vector of words: AND,
 * convert, multiply-add with the block's scale and zs, shift: qb4w_dequant) into 8 x NR floats on the stack, then
 * per k-step loads NV vectors of them and does MR * NV fused multiply-adds with the broadcast A[r][k] (the FP32
 * xw kernel's loop). Dequantizing in registers next to the MR * NV accumulators spilled them (6x16 on AVX2 ran at
 * half this speed). The last group of a block shorter than 8 (k past kc) stops at kc: A is never read past kc. As in kernels/f32-gemm/xw-simd.h,
 * rows past mr read and write row mr - 1 (stored before it), and a column tail computes full vectors (the
 * panel is zero past N) and stores with a mask. */
#include "kernels/f32-gemm-qb4w/dequant-simd.h"
#include "kernels/f32-gemm/store-simd.h"

#define QI_QB4W_XW_NR (QI_QB4W_XW_NV * QV_N)

/* n k-steps from k of one group, its weights dequantized at deq[i * NR + j]. */
static inline __attribute__((always_inline)) void qb4w_xw_steps(size_t n, size_t k,
                                                                const float *const a_row[QI_QB4W_XW_MR],
                                                                const float *restrict deq,
                                                                qv acc[QI_QB4W_XW_MR][QI_QB4W_XW_NV]) {
QI_QB4W_UNROLL_STEPS
  for (size_t i = 0; i < n; i++) {
    qv wv[QI_QB4W_XW_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_XW_NV; v++) wv[v] = qv_load(deq + i * QI_QB4W_XW_NR + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_XW_MR; r++) {
      const qv ar = qv_bcast(a_row[r] + k + i);
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_QB4W_XW_NV; v++) acc[r][v] = qv_fma(ar, wv[v], acc[r][v]);
    }
  }
}

/* One MR x NR tile against the panel at w; cols (1..NR) columns are stored (a constant NR for full tiles). */
static inline __attribute__((always_inline)) void qb4w_xw_tile(size_t cols, size_t kc, size_t bl,
                                                               const float *const a_row[QI_QB4W_XW_MR],
                                                               const uint8_t *restrict w,
                                                               float *const c_row[QI_QB4W_XW_MR], qv vmin, qv vmax) {
  qv acc[QI_QB4W_XW_MR][QI_QB4W_XW_NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < QI_QB4W_XW_NV; v++) {
    const qv bias = qv_load((const float *)(const void *)w + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_QB4W_XW_MR; r++) acc[r][v] = bias;
  }
  w += QI_QB4W_XW_NR * sizeof(float);
  const qv m15 = qvi_as_qv(qvi_set1(15));
  float deq[QI_F32_QB4W_GROUP * QI_QB4W_XW_NR];
  for (size_t k0 = 0; k0 < kc; k0 += bl, w += qi_f32_gemm_qb4w_block_bytes(QI_QB4W_XW_NR, bl)) {
    const uint8_t *words = w + 2 * QI_QB4W_XW_NR * sizeof(float);
    const size_t kend = kc - k0 < bl ? kc : k0 + bl;
    for (size_t k = k0; k < kend; k += QI_F32_QB4W_GROUP, words += QI_QB4W_XW_NR * sizeof(uint32_t)) {
      /* the group's 8 steps (past kc: weights of zero nibbles, never used), one vector of channels at a time:
       * few registers besides the accumulators */
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_QB4W_XW_NV; v++) {
        qv s, zs;
        qb4w_block_params(w, QI_QB4W_XW_NR, v, &s, &zs);
        qvi x = qb4w_load_words(words + v * QV_N * sizeof(uint32_t));
QI_QB4W_UNROLL_STEPS
        for (size_t i = 0; i < QI_F32_QB4W_GROUP; i++)
          qv_store(deq + i * QI_QB4W_XW_NR + v * QV_N, qb4w_dequant(&x, s, zs, m15));
      }
      const size_t n = kend - k < QI_F32_QB4W_GROUP ? kend - k : QI_F32_QB4W_GROUP;
      if (QI_QB4W_UNROLL > 1 && n == QI_F32_QB4W_GROUP) qb4w_xw_steps(QI_F32_QB4W_GROUP, k, a_row, deq, acc);
      else qb4w_xw_steps(n, k, a_row, deq, acc); /* the one copy of the compact builds */
    }
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_QB4W_XW_MR; i++) {
    const size_t r = QI_QB4W_XW_MR - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_QB4W_XW_NV; v++) gemm_store_clamped(c_row[r], v, acc[r][v], cols, vmin, vmax);
  }
}

QI_KERNEL_ALIGN void QI_QB4W_XW_FN(size_t mr, size_t nc, size_t kc, const float *restrict a, size_t a_stride,
                                   const void *restrict packed_w, float *restrict c, size_t c_stride,
                                   const qi_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= QI_QB4W_XW_MR);
  assert(nc >= 1 && kc >= 1);
  assert(a != NULL && packed_w != NULL && c != NULL && params != NULL);
  assert(params->bl >= QI_F32_QB4W_GROUP && params->bl % QI_F32_QB4W_GROUP == 0);
  assert(mr == 1 || (a_stride >= kc && c_stride >= nc));
  const float *a_row[QI_QB4W_XW_MR];
  float *c_row[QI_QB4W_XW_MR];
  a_row[0] = a;
  c_row[0] = c;
  for (size_t r = 1; r < QI_QB4W_XW_MR; r++) {
    a_row[r] = r < mr ? a_row[r - 1] + a_stride : a_row[r - 1];
    c_row[r] = r < mr ? c_row[r - 1] + c_stride : c_row[r - 1];
  }
  const qv vmin = qv_set1(params->minmax.min), vmax = qv_set1(params->minmax.max);
  const size_t bl = params->bl, panel = qi_f32_gemm_qb4w_panel_bytes(QI_QB4W_XW_NR, kc, bl);
  const uint8_t *w = packed_w;
  for (; nc != 0; w += panel) {
    const size_t cols = nc < QI_QB4W_XW_NR ? nc : QI_QB4W_XW_NR;
    if (QI_QB4W_UNROLL > 1 && cols == QI_QB4W_XW_NR) qb4w_xw_tile(QI_QB4W_XW_NR, kc, bl, a_row, w, c_row, vmin, vmax);
    else qb4w_xw_tile(cols, kc, bl, a_row, w, c_row, vmin, vmax); /* the one copy of the compact builds */
    for (size_t r = 0; r < QI_QB4W_XW_MR; r++) c_row[r] += cols;
    nc -= cols;
  }
}

#undef QI_QB4W_XW_NR
