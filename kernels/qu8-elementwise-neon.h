/* Shared NEON steps of the 8-bit elementwise kernels (kernels/qu8-vadd, qu8-vmul, qu8-quantize, their -neon.c
 * files), for aarch64 and 32-bit Arm with NEON + VFPv4: 16 bytes widened to four int32x4 lanes and back. The
 * kernels divide with kernels/f32-vec/vec-neon.h's qv_div (fdiv; lane by lane with VFP's vdiv.f32 on 32-bit Arm,
 * which has no vector divide: IEEE, denormals kept) and round their float results with kernels/requant-neon.h's
 * qi_clamp_round_neon: the clamp to [qmin - zp, qmax - zp] first (equal to clamping after rounding, as the bounds
 * are integers, and what keeps 32-bit Arm's 1.5 * 2^23 rounding exact), then round half to even.
 *
 * 32-bit NEON arithmetic (unlike aarch64's, plain IEEE binary32) flushes denormal inputs and results to zero. A
 * value that only goes on to be rounded to an integer loses nothing by it (a denormal rounds to 0 either way), but
 * a denormal scale or a product that lands in the denormal range does: the kernels check their parameters with
 * qe_neon_exact_scale and take the scalar kernel where one is below 2^-100 (far below any real tensor's scale). */
#ifndef QI_KERNELS_QU8_ELEMENTWISE_NEON_H
#define QI_KERNELS_QU8_ELEMENTWISE_NEON_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/f32-vec/vec-neon.h"
#include "kernels/requant-neon.h"

/* Four int32x4 from 16 bytes, lanes 0..3, 4..7, 8..11, 12..15. */
typedef struct qe_i32x16 {
  int32x4_t v[4];
} qe_i32x16;

/* The bytes as uint8 values (an int8 tensor's kernel XORs its bytes with 0x80 first: value + 128). */
static inline qe_i32x16 qe_widen(uint8x16_t b) {
  const int16x8_t lo = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(b)));
  const int16x8_t hi = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(b)));
  return (qe_i32x16){{vmovl_s16(vget_low_s16(lo)), vmovl_s16(vget_high_s16(lo)), vmovl_s16(vget_low_s16(hi)),
                      vmovl_s16(vget_high_s16(hi))}};
}

/* 16 int32 lanes already within 0..255, as bytes (the narrowing is exact). */
static inline uint8x16_t qe_narrow(qe_i32x16 q) {
  const int16x8_t lo = vcombine_s16(vmovn_s32(q.v[0]), vmovn_s32(q.v[1]));
  const int16x8_t hi = vcombine_s16(vmovn_s32(q.v[2]), vmovn_s32(q.v[3]));
  return vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi));
}

/* Whether a parameter is safe for NEON arithmetic on this target: always on aarch64; on 32-bit Arm zero or
 * |s| >= 2^-100, so that every product of it with an 8-bit integer, and every sum of two such products, is zero
 * or at least 2^-123 (their common quantum) and never flushed (see above). */
static inline bool qe_neon_exact_scale(float s) {
#if defined(__aarch64__)
  (void)s;
  return true;
#else
  const float min = 7.88860905e-31f; /* 2^-100 */
  return s == 0.0f || s >= min || s <= -min;
#endif
}

#endif /* QI_KERNELS_QU8_ELEMENTWISE_NEON_H */
