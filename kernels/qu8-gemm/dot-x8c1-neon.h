/* The products of the plain NEON tiles (MR x 8, k-block 1: 4x8c1 for armv7's 16 q registers, 8x8c1 for aarch64's
 * 32), shared by the requantizing kernels (kernels/qu8-gemm/{4,8}x8c1-neon.c) and their int32-output twins
 * (kernels/qu8-gemm-s32/). With kr = 1 a k step of the packed operands is one row of the outer product: 8
 * columns of uint8 activations (zero-extended to int16, exact) and MR int16 weights (config w_bytes = 2:
 * sign-extended once at packing). Each weight multiplies the 8 activations by a widening multiply-accumulate by
 * lane (vmlal_lane_s16) into int32: every product is exact and nothing is summed in int16, so a weight of -128
 * cannot saturate anything. Portable NEON (aarch64 and armv7).
 * Macros with named accumulators, as the x86 dot loops (kernels/qu8-gemm/dot-4x8c4-avx2.h): through an inline
 * function taking the accumulator array, GCC 12 kept all 16 accumulators in memory (a load and a store of each
 * per k step). */
#ifndef QI_QU8_GEMM_DOT_X8C1_NEON_H
#define QI_QU8_GEMM_DOT_X8C1_NEON_H

#include <arm_neon.h>

#include "kernels/mca.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* The 8 activations of one k step, zero-extended to int16. */
static inline int16x8_t qi_qu8_x8_s16__neon(const uint8_t *x) { return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(x))); }

/* acc += w * the high half of x (int16x8_t): smlal2 on aarch64, which needs no extraction of the half. */
#if defined(__aarch64__)
#define QI_QU8_MLAL_HIGH__NEON(acc, x, w, lane) vmlal_high_lane_s16(acc, x, w, lane)
#else
#define QI_QU8_MLAL_HIGH__NEON(acc, x, w, lane) vmlal_lane_s16(acc, vget_high_s16(x), w, lane)
#endif

/* Four rows: l<r> / h<r> (columns 0..3 / 4..7 of row r) += lane r of w (int16x4_t) times the activations x
 * (int16x8_t). */
#define QI_QU8_MLAL_ROWS4__NEON(l0, h0, l1, h1, l2, h2, l3, h3, x, w)                                     \
  do {                                                                                                  \
    const int16x4_t xl_ = vget_low_s16(x);                                                              \
    l0 = vmlal_lane_s16(l0, xl_, w, 0), h0 = QI_QU8_MLAL_HIGH__NEON(h0, x, w, 0);                       \
    l1 = vmlal_lane_s16(l1, xl_, w, 1), h1 = QI_QU8_MLAL_HIGH__NEON(h1, x, w, 1);                       \
    l2 = vmlal_lane_s16(l2, xl_, w, 2), h2 = QI_QU8_MLAL_HIGH__NEON(h2, x, w, 2);                       \
    l3 = vmlal_lane_s16(l3, xl_, w, 3), h3 = QI_QU8_MLAL_HIGH__NEON(h3, x, w, 3);                       \
  } while (0)

/* The k loop of both tiles, two steps per iteration (the loads of the second step issue under the first
 * step's multiplies: in-order cores such as Cortex-A53 / A7 otherwise stall on load -> widen -> multiply every
 * step), then a last odd step. STEP(x, w) does one step; WS is the int16 weights per step. */
#define QI_QU8_DOT_X8C1_LOOP__NEON(name, macs2, w_, x_, kc, WS, STEP)                                    \
  do {                                                                                                  \
    size_t k_ = (kc);                                                                                   \
    for (; k_ >= 2; k_ -= 2, w_ += 2 * (WS), x_ += 2 * 8) {                                             \
      QI_MCA_BEGIN(name, macs2);                                                                        \
      STEP(x_, w_);                                                                                     \
      STEP(x_ + 8, w_ + (WS));                                                                          \
      QI_MCA_END(name);                                                                                 \
    }                                                                                                   \
    if (k_ != 0) STEP(x_, w_);                                                                          \
  } while (0)

/* acc[r][h] (int32x4_t[4][2]) = the sums over kc steps of rows 0..3 x columns 4h..4h+3 (w_panel: int16, 4 per
 * step; x_panel: 8 bytes per step). */
#define QI_QU8_GEMM_DOT_4X8C1__NEON(acc, w_panel, x_panel, kc)                                          \
  do {                                                                                                \
    int32x4_t l0_ = vdupq_n_s32(0), h0_ = l0_, l1_ = l0_, h1_ = l0_, l2_ = l0_, h2_ = l0_, l3_ = l0_;   \
    int32x4_t h3_ = l0_;                                                                              \
    const int16_t *w_ = (w_panel);                                                                    \
    const uint8_t *x_ = (x_panel);                                                                    \
    QI_QU8_DOT_X8C1_LOOP__NEON("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c1__neon", 64, w_, x_, kc, 4,  \
                               QI_QU8_STEP_4X8C1__NEON);                                              \
    (acc)[0][0] = l0_, (acc)[0][1] = h0_, (acc)[1][0] = l1_, (acc)[1][1] = h1_;                       \
    (acc)[2][0] = l2_, (acc)[2][1] = h2_, (acc)[3][0] = l3_, (acc)[3][1] = h3_;                       \
  } while (0)
#define QI_QU8_STEP_4X8C1__NEON(x, w) \
  QI_QU8_MLAL_ROWS4__NEON(l0_, h0_, l1_, h1_, l2_, h2_, l3_, h3_, qi_qu8_x8_s16__neon(x), vld1_s16(w))

/* The same for rows 0..7 (acc: int32x4_t[8][2]; w_panel: int16, 8 per step). */
#define QI_QU8_GEMM_DOT_8X8C1__NEON(acc, w_panel, x_panel, kc)                                          \
  do {                                                                                                \
    int32x4_t l0_ = vdupq_n_s32(0), h0_ = l0_, l1_ = l0_, h1_ = l0_, l2_ = l0_, h2_ = l0_, l3_ = l0_;   \
    int32x4_t h3_ = l0_, l4_ = l0_, h4_ = l0_, l5_ = l0_, h5_ = l0_, l6_ = l0_, h6_ = l0_, l7_ = l0_;   \
    int32x4_t h7_ = l0_;                                                                              \
    const int16_t *w_ = (w_panel);                                                                    \
    const uint8_t *x_ = (x_panel);                                                                    \
    QI_QU8_DOT_X8C1_LOOP__NEON("qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c1__neon", 128, w_, x_, kc, 8, \
                               QI_QU8_STEP_8X8C1__NEON);                                              \
    (acc)[0][0] = l0_, (acc)[0][1] = h0_, (acc)[1][0] = l1_, (acc)[1][1] = h1_;                       \
    (acc)[2][0] = l2_, (acc)[2][1] = h2_, (acc)[3][0] = l3_, (acc)[3][1] = h3_;                       \
    (acc)[4][0] = l4_, (acc)[4][1] = h4_, (acc)[5][0] = l5_, (acc)[5][1] = h5_;                       \
    (acc)[6][0] = l6_, (acc)[6][1] = h6_, (acc)[7][0] = l7_, (acc)[7][1] = h7_;                       \
  } while (0)
#define QI_QU8_STEP_8X8C1__NEON(x, w)                                                                   \
  do {                                                                                                \
    const int16x8_t xv_ = qi_qu8_x8_s16__neon(x), wv_ = vld1q_s16(w);                                 \
    QI_QU8_MLAL_ROWS4__NEON(l0_, h0_, l1_, h1_, l2_, h2_, l3_, h3_, xv_, vget_low_s16(wv_));          \
    QI_QU8_MLAL_ROWS4__NEON(l4_, h4_, l5_, h5_, l6_, h6_, l7_, h7_, xv_, vget_high_s16(wv_));         \
  } while (0)

#endif /* QI_QU8_GEMM_DOT_X8C1_NEON_H */
