/* The store of both gemm templates (gemm-simd.h, xw-simd.h), on the qi_vf of the vec-<isa>.h included first. */
#ifndef QI_F32_GEMM_STORE_SIMD_H
#define QI_F32_GEMM_STORE_SIMD_H

/* Clamps y to [vmin, vmax] and stores it as vector v of a row of cols floats: whole, masked (the row's last
 * cols % QI_VF_LANES floats) or not at all (past cols). */
static inline __attribute__((always_inline)) void qi_vf_store_clamped(float *row, size_t v, qi_vf y, size_t cols,
                                                                      qi_vf vmin, qi_vf vmax) {
  const size_t v0 = v * QI_VF_LANES;
  y = qi_vf_min(qi_vf_max(y, vmin), vmax);
  if (cols >= v0 + QI_VF_LANES) qi_vf_store(row + v0, y);
  else if (cols > v0) qi_vf_store_tail(row + v0, y, cols - v0);
}

#endif /* QI_F32_GEMM_STORE_SIMD_H */
