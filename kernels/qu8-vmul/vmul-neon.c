#include <arm_neon.h>
#include <assert.h>

#include "kernels/qu8-elementwise-neon.h"
#include "kernels/qu8-vmul/qu8-vmul.h"
#include "kernels/requant-neon.h"

/* 16 elements per step in the uint8 domain (bytes ^ sign_flip): a - a_zp and b - b_zp as int16 (vsubl_u8 wraps
 * modulo 2^16, and |x - zp| <= 255, so the reinterpretation as int16 is the true difference), their products
 * widened to int32 by vmull_s16 (|acc| <= 65025, exact), kernels/requant-neon.h's rule (the one of
 * qi_requant_fp32, bit for bit on aarch64 and 32-bit Arm), + zp, narrowed (exact: 0..255), ^ sign_flip.
 * The last n % 16 elements go through the scalar kernel. */

typedef struct mul_consts {
  float32x4_t scale, lo, hi; /* lo, hi: qmin - zp, qmax - zp */
  int32x4_t zp;
  uint8x16_t flip;
} mul_consts;

static inline mul_consts consts(const qi_qu8_mul_params *p) {
  return (mul_consts){vdupq_n_f32(p->scale), vdupq_n_f32((float)(p->qmin - p->y_zero_point)),
                      vdupq_n_f32((float)(p->qmax - p->y_zero_point)), vdupq_n_s32(p->y_zero_point),
                      vdupq_n_u8(p->sign_flip)};
}

/* x - zp on 8 bytes, as int16 */
static inline int16x8_t centered(uint8x8_t x, uint8x8_t zp) { return vreinterpretq_s16_u16(vsubl_u8(x, zp)); }

/* requantized da * db for 16 lanes (int16 differences, lanes 0..7 in da0 / db0, 8..15 in da1 / db1) */
static inline uint8x16_t product16(int16x8_t da0, int16x8_t da1, int16x8_t db0, int16x8_t db1, const mul_consts *k) {
  const int32x4_t acc[4] = {vmull_s16(vget_low_s16(da0), vget_low_s16(db0)),
                            vmull_s16(vget_high_s16(da0), vget_high_s16(db0)),
                            vmull_s16(vget_low_s16(da1), vget_low_s16(db1)),
                            vmull_s16(vget_high_s16(da1), vget_high_s16(db1))};
  qe_i32x16 q;
  for (int j = 0; j < 4; j++) q.v[j] = vaddq_s32(qi_requant_fp32_neon(acc[j], k->scale, k->lo, k->hi), k->zp);
  return veorq_u8(qe_narrow(q), k->flip);
}

void qi_qu8_vmul_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_mul_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const mul_consts k = consts(p);
  const uint8x8_t vza = vdup_n_u8((uint8_t)p->a_zero_point), vzb = vdup_n_u8((uint8_t)p->b_zero_point);
  for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
    const uint8x16_t va = veorq_u8(vld1q_u8(a), k.flip), vb = veorq_u8(vld1q_u8(b), k.flip);
    vst1q_u8(y, product16(centered(vget_low_u8(va), vza), centered(vget_high_u8(va), vza),
                          centered(vget_low_u8(vb), vzb), centered(vget_high_u8(vb), vzb), &k));
  }
  if (n) qi_qu8_vmul_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vmulc_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_mul_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const mul_consts k = consts(p);
  const uint8x8_t vza = vdup_n_u8((uint8_t)p->a_zero_point);
  const int16x8_t db = vdupq_n_s16((int16_t)((int32_t)(uint8_t)(b[0] ^ p->sign_flip) - p->b_zero_point));
  for (; n >= 16; n -= 16, a += 16, y += 16) {
    const uint8x16_t va = veorq_u8(vld1q_u8(a), k.flip);
    vst1q_u8(y, product16(centered(vget_low_u8(va), vza), centered(vget_high_u8(va), vza), db, db, &k));
  }
  if (n) qi_qu8_vmulc_minmax_ukernel__scalar(n, a, b, y, p);
}
