#include <arm_neon.h>
#include <assert.h>
#include <stdbool.h>

#include "kernels/qu8-elementwise-neon.h"
#include "kernels/qu8-vadd/qu8-vadd.h"

/* 16 elements per step, the formula of qu8-vadd.h lane by lane: bytes widened to int32 (signed for int8),
 * converted to float (exact), vfmaq_f32 for the fused multiply-adds, separate vmulq / vaddq and a true division
 * otherwise (this file is compiled with -ffp-contract=off), the clamp to [qmin - zp, qmax - zp] and round half
 * to even (qi_clamp_round_neon: equal to the scalar kernel's rounding then clamp, as the bounds are integers), the
 * zero point, narrowed to bytes. The last n % 16 elements go through the scalar kernel. On 32-bit Arm,
 * parameters that NEON's flush-to-zero could change (qe_neon_exact_scale) send the whole call to it. */

typedef struct add_consts {
  float32x4_t lo, hi; /* qmin - zp, qmax - zp */
  int32x4_t zp;
  bool s8;
} add_consts;

static inline add_consts consts(const qi_qu8_add_params *p, int32_t zp) {
  return (add_consts){vdupq_n_f32((float)(p->qmin - zp)), vdupq_n_f32((float)(p->qmax - zp)), vdupq_n_s32(zp),
                      p->is_int8 != 0};
}

static inline void store16(uint8_t *y, const float32x4_t v[4], const add_consts *k) {
  qe_i32x16 q;
  for (int j = 0; j < 4; j++) q.v[j] = vaddq_s32(qi_clamp_round_neon(v[j], k->lo, k->hi), k->zp);
  vst1q_u8(y, qe_narrow(q, k->s8));
}

/* (float)(x - zp) * scale on 16 values */
static inline void dequant16(float32x4_t out[4], qe_i32x16 x, int32x4_t zp, float32x4_t scale) {
  for (int j = 0; j < 4; j++) out[j] = vmulq_f32(vcvtq_f32_s32(vsubq_s32(x.v[j], zp)), scale);
}

static inline void to_float16(float32x4_t out[4], qe_i32x16 x) {
  for (int j = 0; j < 4; j++) out[j] = vcvtq_f32_s32(x.v[j]);
}

static bool neon_exact(const qi_qu8_add_params *p) {
  return p->float_path ? qe_neon_exact_scale(p->a_scale) && qe_neon_exact_scale(p->b_scale)
                       : qe_neon_exact_scale(p->a_ratio) && qe_neon_exact_scale(p->b_ratio) &&
                             qe_neon_exact_scale(p->fixed);
}

void qi_qu8_vadd_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const bool s8 = p->is_int8 != 0;
  if (!neon_exact(p)) {
    qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
    return;
  }
  float32x4_t va[4], vb[4], t[4];
  if (p->float_path) {
    const add_consts k = consts(p, p->y_zero_point);
    const int32x4_t vza = vdupq_n_s32(p->a_zero_point), vzb = vdupq_n_s32(p->b_zero_point);
    const float32x4_t vsa = vdupq_n_f32(p->a_scale), vsb = vdupq_n_f32(p->b_scale), vsy = vdupq_n_f32(p->y_scale);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      dequant16(va, qe_widen(vld1q_u8(a), s8), vza, vsa);
      dequant16(vb, qe_widen(vld1q_u8(b), s8), vzb, vsb);
      for (int j = 0; j < 4; j++) t[j] = qv_div(vaddq_f32(va[j], vb[j]), vsy);
      store16(y, t, &k);
    }
  } else {
    const add_consts k = consts(p, 0);
    const float32x4_t vra = vdupq_n_f32(p->a_ratio), vrb = vdupq_n_f32(p->b_ratio), vfix = vdupq_n_f32(p->fixed);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      to_float16(va, qe_widen(vld1q_u8(a), s8));
      to_float16(vb, qe_widen(vld1q_u8(b), s8));
      for (int j = 0; j < 4; j++) t[j] = vfmaq_f32(vfmaq_f32(vfix, vb[j], vrb), va[j], vra);
      store16(y, t, &k);
    }
  }
  if (n) qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vaddc_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const bool s8 = p->is_int8 != 0;
  const int32_t vb = qi_qu8_add_value(b[0], p);
  const float fixed_b = qi_qu8_add_fixed_b(vb, p);
  if (!neon_exact(p)) {
    qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
    return;
  }
  float32x4_t va[4], t[4];
  if (p->float_path) {
    const add_consts k = consts(p, p->y_zero_point);
    const int32x4_t vza = vdupq_n_s32(p->a_zero_point);
    const float32x4_t vsa = vdupq_n_f32(p->a_scale), vsy = vdupq_n_f32(p->y_scale);
    const float32x4_t bterm = vdupq_n_f32((float)(vb - p->b_zero_point) * p->b_scale);
    for (; n >= 16; n -= 16, a += 16, y += 16) {
      dequant16(va, qe_widen(vld1q_u8(a), s8), vza, vsa);
      for (int j = 0; j < 4; j++) t[j] = qv_div(vaddq_f32(va[j], bterm), vsy);
      store16(y, t, &k);
    }
  } else {
    const add_consts k = consts(p, 0);
    const float32x4_t vra = vdupq_n_f32(p->a_ratio), vfix = vdupq_n_f32(fixed_b);
    for (; n >= 16; n -= 16, a += 16, y += 16) {
      to_float16(va, qe_widen(vld1q_u8(a), s8));
      for (int j = 0; j < 4; j++) t[j] = vfmaq_f32(vfix, va[j], vra);
      store16(y, t, &k);
    }
  }
  if (n) qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
}
