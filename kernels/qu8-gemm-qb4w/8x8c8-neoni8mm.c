/* ARMv8.6 int8 matrix multiply (usmmla; Neoverse N2 / V1, Cortex-A510 / A710): W4A8, 8 rows x 8 columns, k-block
 * 8, uint8 activations times int8 u - z (-15..15) in 2 x 2 int32 tiles, as kernels/qu8-gemm/8x8c8-neoni8mm.c.
 * Each group's nibbles go to a stack buffer in the int8 tile's weight layout, [k-block][row][8 k] (a row pair's
 * k-block is the 16-byte weight operand of usmmla, the 4 pairs of a k-block adjacent: the dot loop's loads never
 * meet again in a later iteration, which GCC's predictive commoning would otherwise carry in registers, peeling
 * the loop). The tiles stay in their own layout over a block's groups and become rows once per block (finish).
 * The walk over blocks and the float epilogue: kernels/qu8-gemm-qb4w/gemm-x8-neon.h. */
#include "kernels/mca.h"
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"
#include "kernels/qu8-gemm/dot-8x8c8-neoni8mm.h"

#define MR 8
#define KR 8
#define KB_BYTES (MR * KR) /* one k-block of the 8 rows */

/* A set of 2 rows (16 k each): k-blocks 0 and 1 of the pair, KB_BYTES apart. */
static inline void store_set_8x8c8(const int8x16_t *d, void *dst) {
  const int64x2_t r0 = vreinterpretq_s64_s8(d[0]), r1 = vreinterpretq_s64_s8(d[1]);
  vst1q_s8(dst, vreinterpretq_s8_s64(vzip1q_s64(r0, r1)));
  vst1q_s8((int8_t *)dst + KB_BYTES, vreinterpretq_s8_s64(vzip2q_s64(r0, r1)));
}

static inline void unpack_8x8c8(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf) {
  qi_qb4w_unpack_neon(u, half_g, z, MR, 2, 16, 2 * KB_BYTES, store_set_8x8c8, wbuf);
}

/* The tile of column pair c and row pair p, [(2c, 2p), (2c, 2p+1), (2c+1, 2p), (2c+1, 2p+1)] (column, row), lives
 * in acc[2p + c / 2][c % 2], i.e. the named accumulator l<2p>_, h<2p>_, l<2p+1>_ or h<2p+1>_ for c = 0..3. */
static inline void dot_8x8c8(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps) {
  QI_QB4W_ACC_IN8(acc);
  const int8_t *w = wbuf;
  for (size_t kb = ksteps / KR; kb != 0; kb--, w += KB_BYTES, x += 8 * KR) {
    QI_MCA_BEGIN("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm", 512);
    const int8x16_t wp0 = vld1q_s8(w), wp1 = vld1q_s8(w + 16), wp2 = vld1q_s8(w + 32), wp3 = vld1q_s8(w + 48);
    const uint8x16_t xp0 = vld1q_u8(x), xp1 = vld1q_u8(x + 16), xp2 = vld1q_u8(x + 32), xp3 = vld1q_u8(x + 48);
    QI_QU8_USMMLA_COLS__NEONI8MM(l0_, l2_, l4_, l6_, xp0, wp0, wp1, wp2, wp3);
    QI_QU8_USMMLA_COLS__NEONI8MM(h0_, h2_, h4_, h6_, xp1, wp0, wp1, wp2, wp3);
    QI_QU8_USMMLA_COLS__NEONI8MM(l1_, l3_, l5_, l7_, xp2, wp0, wp1, wp2, wp3);
    QI_QU8_USMMLA_COLS__NEONI8MM(h1_, h3_, h5_, h7_, xp3, wp0, wp1, wp2, wp3);
    QI_MCA_END("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm");
  }
  QI_QB4W_ACC_OUT8(acc);
}

/* Row pair p's four tiles (column pairs 0..3) to rows 2p, 2p + 1 (kernels/qu8-gemm/dot-8x8c8-neoni8mm.h). */
static inline void finish_8x8c8(int32x4_t acc[][2]) {
  for (int p = 0; p < 4; p++) {
    const int32x4_t t0 = acc[2 * p][0], t1 = acc[2 * p][1], t2 = acc[2 * p + 1][0], t3 = acc[2 * p + 1][1];
    QI_QU8_UNZIP_ROWS__NEONI8MM(acc, p, t0, t1, t2, t3);
  }
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                          const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                          size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  _Alignas(16) int8_t wbuf[QI_QB4W_NEON_SPAN / KR * KB_BYTES];
  qi_qb4w_gemm_x8_neon(MR, KR, 2 * KB_BYTES, unpack_8x8c8, dot_8x8c8, finish_8x8c8, wbuf, mr, nc, kc, packed_w,
                       packed_x, c, c_row_stride, c_col_stride, params);
}
