/* Plain NEON, aarch64 and armv7 (NEON + VFPv4, Cortex-A7 / A53 in 32-bit mode): W4A8, 4 rows x 8 columns,
 * k-block 1; the int8 4x8c1 tile's products (8 int32x4 accumulators, room for the operands in armv7's 16 q
 * registers) on each span's nibbles unpacked to int16 u - z, 4 rows per k, in a stack buffer. The walk over
 * blocks and the float epilogue: kernels/qu8-gemm-qb4w/gemm-x8-neon.h. */
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"
#include "kernels/qu8-gemm/dot-x8c1-neon.h"

#define MR 4

static inline void unpack_4x8c1(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf) {
  qi_qb4w_unpack_neon(u, half_g, z, MR, 4, QI_QB4W_X8C1_SET, QI_QB4W_X8C1_PART, qi_qb4w_store_rows4_s16_neon, wbuf);
}

static inline void dot_4x8c1(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps) {
  QI_QB4W_ACC_IN4(acc);
  const int16_t *w_ = wbuf;
  const uint8_t *x_ = x;
  QI_QU8_DOT_X8C1_LOOP__NEON("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c1__neon", 64, w_, x_, ksteps, 4,
                             QI_QU8_STEP_4X8C1__NEON);
  QI_QB4W_ACC_OUT4(acc);
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x8c1__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  _Alignas(16) int16_t wbuf[QI_QB4W_X8C1_SET / sizeof(int16_t)]; /* one set */
  qi_qb4w_gemm_x8_neon(MR, 1, QI_QB4W_X8C1_PART, unpack_4x8c1, dot_4x8c1, NULL, wbuf, mr, nc, kc, packed_w,
                       packed_x, c, c_row_stride, c_col_stride, params);
}
