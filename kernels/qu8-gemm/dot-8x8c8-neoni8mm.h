/* The products of the i8mm tile (8 rows x 8 columns, k-block 8; usmmla: Neoverse N2 / V1, Cortex-A510 / A710),
 * shared by kernels/qu8-gemm/8x8c8-neoni8mm.c and kernels/qu8-gemm-s32/8x8c8-neoni8mm.c. usmmla multiplies a
 * 2 x 8 block of uint8 by the transpose of a 2 x 8 block of int8 into a 2 x 2 int32 tile, so the activations
 * stay uint8 (config x_domain QI_ACT_DOMAIN_U8) and every product is exact.
 * With kr = 8 a column's (or a row's) 8 k are adjacent in the packed operands, so 16 bytes hold two columns
 * (xp: columns 2c, 2c + 1) or two rows (wp: rows 2p, 2p + 1). Per k-block: 4 + 4 loads and 16 usmmla (512
 * multiply-adds); accumulator t[c][p] holds [(2c, 2p), (2c, 2p+1), (2c+1, 2p), (2c+1, 2p+1)] (column, row).
 * At the end, vuzp1q / vuzp2q of t[2h][p] and t[2h+1][p] give rows 2p / 2p + 1 over columns 4h..4h+3. */
#ifndef QI_QU8_GEMM_DOT_8X8C8_NEONI8MM_H
#define QI_QU8_GEMM_DOT_8X8C8_NEONI8MM_H

#include <arm_neon.h>

#include "kernels/mca.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* One column pair c: t[c][p] += xp times each row pair wp0..wp3. */
#define QI_QU8_USMMLA_COLS__NEONI8MM(t0, t1, t2, t3, xp, wp0, wp1, wp2, wp3)                             \
  (t0 = vusmmlaq_s32(t0, xp, wp0), t1 = vusmmlaq_s32(t1, xp, wp1), t2 = vusmmlaq_s32(t2, xp, wp2),       \
   t3 = vusmmlaq_s32(t3, xp, wp3))

/* acc[2p + i][h]: row 2p + i (i = 0 / 1) over columns 4h..4h+3, from the pair tiles of columns 4h..4h+3. */
#define QI_QU8_UNZIP_ROWS__NEONI8MM(acc, p, lo0, lo1, hi0, hi1)                                          \
  ((acc)[2 * (p)][0] = vuzp1q_s32(lo0, lo1), (acc)[2 * (p) + 1][0] = vuzp2q_s32(lo0, lo1),               \
   (acc)[2 * (p)][1] = vuzp1q_s32(hi0, hi1), (acc)[2 * (p) + 1][1] = vuzp2q_s32(hi0, hi1))

/* acc[r][h] (int32x4_t[8][2]) = the sums over kb_count k-blocks of rows 0..7 x columns 4h..4h+3 (w_panel: int8,
 * 8 x 8 per block; x_panel: uint8, 8 x 8 per block). */
#define QI_QU8_GEMM_DOT_8X8C8__NEONI8MM(acc, w_panel, x_panel, kb_count)                                \
  do {                                                                                                \
    int32x4_t t00_ = vdupq_n_s32(0), t01_ = t00_, t02_ = t00_, t03_ = t00_, t10_ = t00_, t11_ = t00_;   \
    int32x4_t t12_ = t00_, t13_ = t00_, t20_ = t00_, t21_ = t00_, t22_ = t00_, t23_ = t00_;             \
    int32x4_t t30_ = t00_, t31_ = t00_, t32_ = t00_, t33_ = t00_;                                     \
    const int8_t *w_ = (w_panel);                                                                     \
    const uint8_t *x_ = (x_panel);                                                                    \
    for (size_t kb_ = (kb_count); kb_ != 0; kb_--, w_ += 8 * 8, x_ += 8 * 8) {                        \
      QI_MCA_BEGIN("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm", 512);                      \
      const int8x16_t wp0_ = vld1q_s8(w_), wp1_ = vld1q_s8(w_ + 16), wp2_ = vld1q_s8(w_ + 32);         \
      const int8x16_t wp3_ = vld1q_s8(w_ + 48);                                                       \
      const uint8x16_t xp0_ = vld1q_u8(x_), xp1_ = vld1q_u8(x_ + 16), xp2_ = vld1q_u8(x_ + 32);        \
      const uint8x16_t xp3_ = vld1q_u8(x_ + 48);                                                      \
      QI_QU8_USMMLA_COLS__NEONI8MM(t00_, t01_, t02_, t03_, xp0_, wp0_, wp1_, wp2_, wp3_);             \
      QI_QU8_USMMLA_COLS__NEONI8MM(t10_, t11_, t12_, t13_, xp1_, wp0_, wp1_, wp2_, wp3_);             \
      QI_QU8_USMMLA_COLS__NEONI8MM(t20_, t21_, t22_, t23_, xp2_, wp0_, wp1_, wp2_, wp3_);             \
      QI_QU8_USMMLA_COLS__NEONI8MM(t30_, t31_, t32_, t33_, xp3_, wp0_, wp1_, wp2_, wp3_);             \
      QI_MCA_END("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c8__neoni8mm");                             \
    }                                                                                                 \
    QI_QU8_UNZIP_ROWS__NEONI8MM(acc, 0, t00_, t10_, t20_, t30_);                                      \
    QI_QU8_UNZIP_ROWS__NEONI8MM(acc, 1, t01_, t11_, t21_, t31_);                                      \
    QI_QU8_UNZIP_ROWS__NEONI8MM(acc, 2, t02_, t12_, t22_, t32_);                                      \
    QI_QU8_UNZIP_ROWS__NEONI8MM(acc, 3, t03_, t13_, t23_, t33_);                                      \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_8X8C8_NEONI8MM_H */
