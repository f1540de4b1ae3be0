/* The store of both gemm templates (gemm-simd.h, xw-simd.h), on the qv of the vec-<isa>.h included first. */
#ifndef QI_F32_GEMM_STORE_SIMD_H
#define QI_F32_GEMM_STORE_SIMD_H

/* Clamps y to [vmin, vmax] and stores it as vector v of a row of cols floats: whole, masked (the row's last
 * cols % QV_N floats) or not at all (past cols). */
static inline __attribute__((always_inline)) void gemm_store_clamped(float *row, size_t v, qv y, size_t cols, qv vmin,
                                                                   qv vmax) {
  const size_t v0 = v * QV_N;
  y = qv_min(qv_max(y, vmin), vmax);
  if (cols >= v0 + QV_N) qv_store(row + v0, y);
  else if (cols > v0) qv_store_tail(row + v0, y, qt_make(cols - v0));
}

#endif /* QI_F32_GEMM_STORE_SIMD_H */
