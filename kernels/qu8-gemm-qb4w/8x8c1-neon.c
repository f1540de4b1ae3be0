/* Plain NEON (Cortex-A53 / A72), aarch64: W4A8, 8 rows x 8 columns, k-block 1; the int8 tile's vmlal_lane_s16
 * k loop and steps (kernels/qu8-gemm/dot-x8c1-neon.h, 16 int32x4 accumulators) on each span's nibbles unpacked
 * to int16 u - z, 8 rows per k as the int8 tile's packed weights (one 16-byte load per k step), in a stack
 * buffer. The walk over blocks and the float epilogue: kernels/qu8-gemm-qb4w/gemm-x8-neon.h. */
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"
#include "kernels/qu8-gemm/dot-x8c1-neon.h"

#if defined(__aarch64__)
#define MR 8
#define PART_BYTES (16 * MR * sizeof(int16_t)) /* 16 k of the 8 rows */

/* The 8 rows of 16 k as dst[k * 8 + r]: row pairs zipped as int16 (a pair of one k is one 32-bit word), then one
 * vst4q_s32 per 4 k puts the 4 pairs of each k side by side. */
static inline void store_rows8(const int8x16_t *d, void *dst) {
  int32x4x4_t q[4]; /* q[i].val[p]: k 4i..4i+3 of rows 2p, 2p + 1 */
  for (int p = 0; p < 4; p++) {
    const int16x8x2_t a = vzipq_s16(vmovl_s8(vget_low_s8(d[2 * p])), vmovl_s8(vget_low_s8(d[2 * p + 1])));
    const int16x8x2_t b = vzipq_s16(vmovl_s8(vget_high_s8(d[2 * p])), vmovl_s8(vget_high_s8(d[2 * p + 1])));
    q[0].val[p] = vreinterpretq_s32_s16(a.val[0]), q[1].val[p] = vreinterpretq_s32_s16(a.val[1]);
    q[2].val[p] = vreinterpretq_s32_s16(b.val[0]), q[3].val[p] = vreinterpretq_s32_s16(b.val[1]);
  }
  for (int i = 0; i < 4; i++) vst4q_s32((int32_t *)dst + 16 * i, q[i]);
}

static inline void unpack_8x8c1(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf) {
  qi_qb4w_unpack_neon(u, half_g, z, MR, MR, 0, PART_BYTES, store_rows8, wbuf);
}

static inline void dot_8x8c1(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps) {
  QI_QB4W_ACC_IN8(acc);
  const int16_t *w_ = wbuf;
  const uint8_t *x_ = x;
  QI_QU8_DOT_X8C1_LOOP__NEON("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon", 128, w_, x_, ksteps, MR,
                             QI_QU8_STEP_8X8C1__NEON);
  QI_QB4W_ACC_OUT8(acc);
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c1__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  _Alignas(16) int16_t wbuf[QI_QB4W_NEON_SPAN * MR];
  qi_qb4w_gemm_x8_neon(MR, 1, PART_BYTES, unpack_8x8c1, dot_8x8c1, NULL, wbuf, mr, nc, kc, packed_w, packed_x, c,
                       c_row_stride, c_col_stride, params);
}
#endif /* __aarch64__ */
