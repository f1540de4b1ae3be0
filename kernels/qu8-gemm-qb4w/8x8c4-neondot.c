/* ARMv8.2 dot product (sdot; Cortex-A55 / A76, Raspberry Pi 5): W4A8, 8 rows x 8 columns, k-block 4, int8-domain
 * activations (config x_domain QI_ACT_DOMAIN_S8, as kernels/qu8-gemm/8x8c4-neondot.c: uint8 tensors XORed on
 * packing, the zero point folded into zc). Each group's nibbles become int8 u - z (-15..15) in a stack buffer of
 * two sets of 4 rows, [k-block][row][4 k] each: one vst4q_s32 of 4 rows' 16 k interleaves their 4-k words, so a
 * set's k-block is the 16-byte lane operand of vdotq_laneq_s32. The walk over blocks and the float epilogue:
 * kernels/qu8-gemm-qb4w/gemm-x8-neon.h. */
#include "kernels/mca.h"
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"
#include "kernels/qu8-gemm/dot-8x8c4-neondot.h"

#define MR 8
#define KR 4
#define PART_BYTES (16 * 4)                /* 16 k of a set of 4 rows */
#define SET_BYTES (QI_QB4W_NEON_SPAN * 4) /* one set: a span of 4 rows */

/* A set of 4 rows: [k-block][row][4 k], the 4-k words of the rows interleaved. */
static inline void store_set_8x8c4(const int8x16_t *d, void *dst) {
  const int32x4x4_t v = {{vreinterpretq_s32_s8(d[0]), vreinterpretq_s32_s8(d[1]), vreinterpretq_s32_s8(d[2]),
                          vreinterpretq_s32_s8(d[3])}};
  vst4q_s32(dst, v);
}

static inline void unpack_8x8c4(const uint8_t *u, size_t half_g, const uint8_t *z, void *wbuf) {
  qi_qb4w_unpack_neon(u, half_g, z, MR, 4, SET_BYTES, PART_BYTES, store_set_8x8c4, wbuf);
}

static inline void dot_8x8c4(int32x4_t acc[][2], const void *wbuf, const uint8_t *x, size_t ksteps) {
  QI_QB4W_ACC_IN8(acc);
  const int8_t *w = wbuf;
  for (size_t kb = ksteps / KR; kb != 0; kb--, w += 16, x += 8 * KR) {
    QI_MCA_BEGIN("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c4__neondot", 256);
    const int8x16_t x0 = vreinterpretq_s8_u8(vld1q_u8(x)), x1 = vreinterpretq_s8_u8(vld1q_u8(x + 16));
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + SET_BYTES);
    QI_QU8_SDOT_ROW__NEONDOT(l0_, h0_, x0, x1, w0, 0);
    QI_QU8_SDOT_ROW__NEONDOT(l1_, h1_, x0, x1, w0, 1);
    QI_QU8_SDOT_ROW__NEONDOT(l2_, h2_, x0, x1, w0, 2);
    QI_QU8_SDOT_ROW__NEONDOT(l3_, h3_, x0, x1, w0, 3);
    QI_QU8_SDOT_ROW__NEONDOT(l4_, h4_, x0, x1, w1, 0);
    QI_QU8_SDOT_ROW__NEONDOT(l5_, h5_, x0, x1, w1, 1);
    QI_QU8_SDOT_ROW__NEONDOT(l6_, h6_, x0, x1, w1, 2);
    QI_QU8_SDOT_ROW__NEONDOT(l7_, h7_, x0, x1, w1, 3);
    QI_MCA_END("qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c4__neondot");
  }
  QI_QB4W_ACC_OUT8(acc);
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                         const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                         size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  _Alignas(16) int8_t wbuf[2 * SET_BYTES];
  qi_qb4w_gemm_x8_neon(MR, KR, PART_BYTES, unpack_8x8c4, dot_8x8c4, NULL, wbuf, mr, nc, kc, packed_w, packed_x, c,
                       c_row_stride, c_col_stride, params);
}
