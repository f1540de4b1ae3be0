/* Plain NEON (Cortex-A53 / A72), aarch64: W4A8, 8 rows x 8 columns, k-block 1; the int8 tile's vmlal_lane_s16
 * products (16 int32x4 accumulators) on each group's nibbles unpacked to int16 u - z, 4 rows per k, in a stack
 * buffer. The walk over blocks and the float epilogue: kernels/qu8-gemm-qb4w/gemm-x8-neon.h. */
#include "kernels/qu8-gemm-qb4w/dot-x8c1-neon.h"
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"

#if defined(__aarch64__)
#define MR 8

/* Rows 0..3, then rows 4..7 a span further (QI_QB4W_X8C1_ROWS4_HI). */
static inline void unpack_8x8c1(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf) {
  qi_qb4w_unpack_neon(u, half_g, z, MR, 4, QI_QB4W_X8C1_SET, QI_QB4W_X8C1_PART, qi_qb4w_store_rows4_s16_neon, wbuf);
}

static inline void dot_8x8c1(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps) {
  QI_QB4W_ACC_IN8(acc);
  const int16_t *w_ = wbuf;
  const uint8_t *x_ = x;
  QI_QU8_DOT_X8C1_LOOP__NEON("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon", 128, w_, x_, ksteps, 4,
                             QI_QB4W_STEP_8X8C1__NEON);
  QI_QB4W_ACC_OUT8(acc);
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  _Alignas(16) int16_t wbuf[2 * QI_QB4W_X8C1_ROWS4_HI]; /* two sets */
  qi_qb4w_gemm_x8_neon(MR, 1, QI_QB4W_X8C1_PART, unpack_8x8c1, dot_8x8c1, NULL, wbuf, mr, nc, kc, packed_w,
                       packed_x, c, c_row_stride, c_col_stride, params);
}
#endif /* __aarch64__ */
