/* Template of the SIMD gemm ukernels with the packed LEFT operand (f32-gemm.h: one MR-row panel of W times B,
 * read unpacked). The includer first includes a vec-<isa>.h (qv and its primitives, QV_N wide) and
 * defines QI_GEMM_FN (the function's name), QI_GEMM_MR (rows) and QI_GEMM_NV (vectors per row: NR =
 * QI_GEMM_NV * QV_N), so every ISA runs this same logic.
 *
 * Per k the tile loads NV vectors of row k of B, broadcasts the MR weights of the panel's column k and does
 * MR * NV fused multiply-adds into MR * NV accumulators (6 x 2 ymm on AVX2: 12 accumulators, 2 loads, 1
 * broadcast register of 16). The panel's rows past mr are computed too (zero rows of the last panel, or other
 * rows) and stored first, to the address of row mr - 1, which is stored last: no branch per row. A column
 * tail loads its last vector of B with a mask (nothing past nc is read) and stores with one.
 *
 * An includer that defines QI_GEMM_MCA_MACS (MR * NR as a decimal literal, not 0) gets llvm-mca region markers
 * (kernels/mca.h, empty in normal builds) around the k-loop body of its full tiles. */
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/store-simd.h"
#include "kernels/f32-vec/mca-simd.h"

#ifndef QI_GEMM_MCA_MACS
#define QI_GEMM_MCA_MACS 0 /* no region */
#endif

#define QI_GEMM_NR (QI_GEMM_NV * QV_N)

/* One MR x (nv vectors) tile; last_n (1..QV_N) is the width of the last vector when `tail`. nv and tail
 * are constants at every call site, so the loops unroll and the accumulators stay in registers. */
static inline __attribute__((always_inline)) void gemm_tile(size_t nv, bool tail, size_t last_n, size_t kc,
                                                            const float *restrict w, const float *restrict b,
                                                            size_t b_stride, float *const c_row[QI_GEMM_MR],
                                                            qv vmin, qv vmax) {
  qv acc[QI_GEMM_MR][QI_GEMM_NV];
#pragma GCC unroll 16
  for (size_t r = 0; r < QI_GEMM_MR; r++) {
    const qv bias = qv_bcast(w + r);
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) acc[r][v] = bias;
  }
  w += QI_GEMM_MR;
  const bool mca = QI_GEMM_MCA_MACS != 0 && nv == QI_GEMM_NV && !tail; /* one region: the full tiles' loop */
  for (size_t k = 0; k < kc; k++) {
    if (mca) QI_SIMD_MCA_BEGIN(QI_GEMM_FN, QI_GEMM_MCA_MACS);
    qv bv[QI_GEMM_NV];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++)
      bv[v] = tail && v + 1 == nv ? qv_load_tail(b + v * QV_N, qt_make(last_n)) : qv_load(b + v * QV_N);
#pragma GCC unroll 16
    for (size_t r = 0; r < QI_GEMM_MR; r++) {
      const qv wr = qv_bcast(w + r);
#pragma GCC unroll 4
      for (size_t v = 0; v < nv; v++) acc[r][v] = qv_fma(wr, bv[v], acc[r][v]);
    }
    w += QI_GEMM_MR;
    b += b_stride;
    if (mca) QI_SIMD_MCA_END(QI_GEMM_FN);
  }
  const size_t cols = (nv - 1) * QV_N + last_n;
#pragma GCC unroll 16
  for (size_t i = 0; i < QI_GEMM_MR; i++) {
    const size_t r = QI_GEMM_MR - 1 - i; /* rows past mr alias row mr - 1: stored before it */
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) gemm_store_clamped(c_row[r], v, acc[r][v], cols, vmin, vmax);
  }
}

QI_KERNEL_ALIGN void QI_GEMM_FN(size_t mr, size_t nc, size_t kc, const float *restrict packed_w,
                                const float *restrict b, size_t b_stride, float *restrict c, size_t c_stride,
                                const qi_f32_minmax_params *params) {
  assert(mr >= 1 && mr <= QI_GEMM_MR);
  assert(nc >= 1 && kc >= 1);
  assert(packed_w != NULL && b != NULL && c != NULL && params != NULL);
  assert(mr == 1 || c_stride >= nc);
  float *c_row[QI_GEMM_MR];
  c_row[0] = c;
  for (size_t r = 1; r < QI_GEMM_MR; r++) c_row[r] = r < mr ? c_row[r - 1] + c_stride : c_row[r - 1];
  const qv vmin = qv_set1(params->min), vmax = qv_set1(params->max);
  for (; nc >= QI_GEMM_NR; nc -= QI_GEMM_NR, b += QI_GEMM_NR) {
    gemm_tile(QI_GEMM_NV, false, QV_N, kc, packed_w, b, b_stride, c_row, vmin, vmax);
    for (size_t r = 0; r < QI_GEMM_MR; r++) c_row[r] += QI_GEMM_NR;
  }
  if (nc == 0) return;
  /* the tail: as many vectors as it needs, the last one masked */
#if QI_GEMM_NV >= 3
  if (nc > 2 * QV_N) {
    gemm_tile(3, true, nc - 2 * QV_N, kc, packed_w, b, b_stride, c_row, vmin, vmax);
    return;
  }
#endif
#if QI_GEMM_NV >= 2
  if (nc > QV_N) {
    gemm_tile(2, true, nc - QV_N, kc, packed_w, b, b_stride, c_row, vmin, vmax);
    return;
  }
#endif
  gemm_tile(1, true, nc, kc, packed_w, b, b_stride, c_row, vmin, vmax);
}

#undef QI_GEMM_NR
