/* The products of the family's plain NEON tiles (MR x 8, k-block 1: 4x8c1 for armv7, 8x8c1 for aarch64) over one
 * unpacked span: the int8 tiles' k loop and steps (kernels/qu8-gemm/dot-x8c1-neon.h: vmlal_lane_s16, exact
 * int32 products of int16 weights u - z and zero-extended activations) on the group buffer of
 * qi_qb4w_unpack_rows4_s16_neon, 4 rows per k: rows 0..3 at wbuf[k * 4], rows 4..7 (8x8c1) a whole span further,
 * at wbuf[QI_QB4W_X8C1_ROWS4_HI + k * 4]. The accumulators enter from acc and leave to it: a block's sum runs
 * over its spans (QI_QB4W_ACC_IN8 / OUT8). */
#ifndef QI_QU8_GEMM_QB4W_DOT_X8C1_NEON_H
#define QI_QU8_GEMM_QB4W_DOT_X8C1_NEON_H

#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"
#include "kernels/qu8-gemm/dot-x8c1-neon.h"

#define QI_QB4W_X8C1_ROWS4_HI (QI_QB4W_X8C1_SET / sizeof(int16_t)) /* in int16 */

/* One k step of 8 rows: the 8 activations times rows 0..3 (w) and rows 4..7 (a span further). */
#define QI_QB4W_STEP_8X8C1__NEON(x, w)                                                                  \
  do {                                                                                                \
    const int16x8_t xv_ = qi_qu8_x8_s16__neon(x);                                                     \
    QI_QU8_MLAL_ROWS4__NEON(l0_, h0_, l1_, h1_, l2_, h2_, l3_, h3_, xv_, vld1_s16(w));                \
    QI_QU8_MLAL_ROWS4__NEON(l4_, h4_, l5_, h5_, l6_, h6_, l7_, h7_, xv_, vld1_s16((w) + QI_QB4W_X8C1_ROWS4_HI)); \
  } while (0)

#endif /* QI_QU8_GEMM_QB4W_DOT_X8C1_NEON_H */
