/* The products of the dot-product tile (8 rows x 8 columns, k-block 4; ARMv8.2 sdot: Cortex-A55 / A76, Raspberry
 * Pi 5), shared by kernels/qu8-gemm/8x8c4-neondot.c and kernels/qu8-gemm-s32/8x8c4-neondot.c. sdot multiplies
 * signed bytes, so the activations are read as int8 (config x_domain QI_ACT_DOMAIN_S8: uint8 tensors XORed with
 * 0x80 on packing, the zero point moved by -128 and folded into the packed bias), exactly.
 * Per k-block: x0 / x1 = 4 k of columns 0..3 / 4..7 (16 bytes each), w0 / w1 = 4 k of rows 0..3 / 4..7;
 * vdotq_laneq_s32(acc, x, w, r) adds to column j's lane the dot product of column j's 4 k with lane r's 4 k
 * (row r): 16 sdot, 256 multiply-adds, 16 of aarch64's 32 q registers as accumulators. Named accumulators in a
 * macro, as kernels/qu8-gemm/dot-x8c1-neon.h explains. */
#ifndef QI_QU8_GEMM_DOT_8X8C4_NEONDOT_H
#define QI_QU8_GEMM_DOT_8X8C4_NEONDOT_H

#include <arm_neon.h>

#include "kernels/mca.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* One row: lo / hi (columns 0..3 / 4..7) += the dot products of x0 / x1's columns with lane `lane` of w. */
#define QI_QU8_SDOT_ROW__NEONDOT(lo, hi, x0, x1, w, lane) \
  (lo = vdotq_laneq_s32(lo, x0, w, lane), hi = vdotq_laneq_s32(hi, x1, w, lane))

/* acc[r][h] (int32x4_t[8][2]) = the sums over kb_count k-blocks of rows 0..7 x columns 4h..4h+3 (w_panel: int8,
 * 8 x 4 per block; x_panel: int8 domain bytes, 8 x 4 per block). */
#define QI_QU8_GEMM_DOT_8X8C4__NEONDOT(acc, w_panel, x_panel, kb_count)                                 \
  do {                                                                                                \
    int32x4_t l0_ = vdupq_n_s32(0), h0_ = l0_, l1_ = l0_, h1_ = l0_, l2_ = l0_, h2_ = l0_, l3_ = l0_;   \
    int32x4_t h3_ = l0_, l4_ = l0_, h4_ = l0_, l5_ = l0_, h5_ = l0_, l6_ = l0_, h6_ = l0_, l7_ = l0_;   \
    int32x4_t h7_ = l0_;                                                                              \
    const int8_t *w_ = (w_panel);                                                                     \
    const uint8_t *x_ = (x_panel);                                                                    \
    for (size_t kb_ = (kb_count); kb_ != 0; kb_--, w_ += 8 * 4, x_ += 8 * 4) {                        \
      QI_MCA_BEGIN("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c4__neondot", 256);                       \
      const int8x16_t x0_ = vreinterpretq_s8_u8(vld1q_u8(x_)), x1_ = vreinterpretq_s8_u8(vld1q_u8(x_ + 16)); \
      const int8x16_t w0_ = vld1q_s8(w_), w1_ = vld1q_s8(w_ + 16);                                    \
      QI_QU8_SDOT_ROW__NEONDOT(l0_, h0_, x0_, x1_, w0_, 0);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l1_, h1_, x0_, x1_, w0_, 1);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l2_, h2_, x0_, x1_, w0_, 2);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l3_, h3_, x0_, x1_, w0_, 3);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l4_, h4_, x0_, x1_, w1_, 0);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l5_, h5_, x0_, x1_, w1_, 1);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l6_, h6_, x0_, x1_, w1_, 2);                                           \
      QI_QU8_SDOT_ROW__NEONDOT(l7_, h7_, x0_, x1_, w1_, 3);                                           \
      QI_MCA_END("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c4__neondot");                              \
    }                                                                                                 \
    (acc)[0][0] = l0_, (acc)[0][1] = h0_, (acc)[1][0] = l1_, (acc)[1][1] = h1_;                       \
    (acc)[2][0] = l2_, (acc)[2][1] = h2_, (acc)[3][0] = l3_, (acc)[3][1] = h3_;                       \
    (acc)[4][0] = l4_, (acc)[4][1] = h4_, (acc)[5][0] = l5_, (acc)[5][1] = h5_;                       \
    (acc)[6][0] = l6_, (acc)[6][1] = h6_, (acc)[7][0] = l7_, (acc)[7][1] = h7_;                       \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_8X8C4_NEONDOT_H */
