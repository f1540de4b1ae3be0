/* Template of the SIMD gemm ukernels with the packed RIGHT operand (the xw orientation of f32-gemm.h: mr rows
 * of A, read in place, times the packed NR-column panels of W, kr 1). The includer first includes a
 * vec-<isa>.h and defines QI_XW_FN, QI_XW_MR (rows) and QI_XW_NV (vectors per panel row: NR = QI_XW_NV *
 * QV_N), so every ISA runs this same logic.
 *
 * Per k the tile loads the panel's row k (NV vectors: aligned when the panels are, NR * (1 + K) floats
 * apart), broadcasts A[r][k] of each row and does MR * NV fused multiply-adds. Rows past mr read and write
 * row mr - 1 (A is not padded): their stores come before row mr - 1's. The panel is zero past N, so a column
 * tail computes full vectors and only stores with a mask.
 *
 * An includer that defines QI_XW_MCA_MACS (MR * NR as a decimal literal, not 0) gets llvm-mca region markers
 * (kernels/mca.h, empty in normal builds) around the k-loop body of its full tiles. */
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/store-simd.h"
#include "kernels/f32-vec/mca-simd.h"

#ifndef QI_XW_MCA_MACS
#define QI_XW_MCA_MACS 0 /* no region */
#endif

#define QI_XW_NR (QI_XW_NV * QV_N)

/* One MR x NR tile against the panel at w; cols (1..NR) columns are stored (a constant NR for full tiles). */
static inline __attribute__((always_inline)) void xw_tile(size_t cols, size_t kc, const float *const a_row[QI_XW_MR],
                                                          const float *restrict w, float *const c_row[QI_XW_MR],
                                                          qv vmin, qv vmax) {
  qv acc[QI_XW_MR][QI_XW_NV];
#pragma GCC unroll 4
  for (size_t v = 0; v < QI_XW_NV; v++) {
    const qv bias = qv_load(w + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_XW_MR; r++) acc[r][v] = bias;
  }
  w += QI_XW_NR;
  /* one region per kernel: the loop of the full tiles, where cols is the constant NR */
  const bool mca = QI_XW_MCA_MACS != 0 && __builtin_constant_p(cols) && cols == QI_XW_NR;
  for (size_t k = 0; k < kc; k++) {
    if (mca) QI_SIMD_MCA_BEGIN(QI_XW_FN, QI_XW_MCA_MACS);
    qv wv[QI_XW_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_XW_NV; v++) wv[v] = qv_load(w + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_XW_MR; r++) {
      const qv ar = qv_bcast(a_row[r] + k);
#pragma GCC unroll 4
      for (size_t v = 0; v < QI_XW_NV; v++) acc[r][v] = qv_fma(ar, wv[v], acc[r][v]);
    }
    w += QI_XW_NR;
    if (mca) QI_SIMD_MCA_END(QI_XW_FN);
  }
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_XW_MR; i++) {
    const size_t r = QI_XW_MR - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < QI_XW_NV; v++) gemm_store_clamped(c_row[r], v, acc[r][v], cols, vmin, vmax);
  }
}

QI_KERNEL_ALIGN void QI_XW_FN(size_t mr, size_t nc, size_t kc, const float *restrict a, size_t a_stride,
                              const float *restrict packed_w, float *restrict c, size_t c_stride,
                              const qi_f32_minmax_params *params) {
  assert(mr >= 1 && mr <= QI_XW_MR);
  assert(nc >= 1 && kc >= 1);
  assert(a != NULL && packed_w != NULL && c != NULL && params != NULL);
  assert(mr == 1 || (a_stride >= kc && c_stride >= nc));
  const float *a_row[QI_XW_MR];
  float *c_row[QI_XW_MR];
  a_row[0] = a;
  c_row[0] = c;
  for (size_t r = 1; r < QI_XW_MR; r++) {
    a_row[r] = r < mr ? a_row[r - 1] + a_stride : a_row[r - 1];
    c_row[r] = r < mr ? c_row[r - 1] + c_stride : c_row[r - 1];
  }
  const qv vmin = qv_set1(params->min), vmax = qv_set1(params->max);
  const size_t panel = qi_f32_gemm_panel_floats(kc, QI_XW_NR, 1);
  for (; nc >= QI_XW_NR; nc -= QI_XW_NR, packed_w += panel) {
    xw_tile(QI_XW_NR, kc, a_row, packed_w, c_row, vmin, vmax);
    for (size_t r = 0; r < QI_XW_MR; r++) c_row[r] += QI_XW_NR;
  }
  if (nc != 0) xw_tile(nc, kc, a_row, packed_w, c_row, vmin, vmax);
}

#undef QI_XW_NR
