#include <arm_neon.h>
#include <assert.h>
#include <stdbool.h>

#include "kernels/qu8-elementwise-neon.h"
#include "kernels/qu8-vadd/qu8-vadd.h"

/* 16 elements per step, the formula of qu8-vadd.h lane by lane. The kernel reads every tensor in its own type
 * without a branch per type: bytes ^ flip widened as uint8 give value + off (flip = 0x80, off = 128 for int8;
 * 0 and 0 for uint8), so off is subtracted in int32 (the fused formula) or folded into the zero points (the float
 * formula), and the result goes out as q + off ^ flip. In between: int32 -> float (exact), vfmaq_f32 for the
 * fused multiply-adds, separate vmulq / vaddq and a true division otherwise (this file is compiled with
 * -ffp-contract=off), the clamp to [qmin - zp, qmax - zp], then round half to even (qi_clamp_round_neon: equal to
 * the scalar kernel's rounding then clamp, as the bounds are integers), + zp, narrowed to bytes. The last n % 16
 * elements go through the scalar kernel. On 32-bit Arm, parameters that NEON's flush-to-zero could change
 * (qe_neon_exact_scale) send the whole call to it. */

typedef struct add_io {
  uint8x16_t flip;
  int32x4_t off;
  float32x4_t lo, hi; /* qmin - zp, qmax - zp */
  int32x4_t zp_out;   /* zp + off */
} add_io;

static inline add_io io_make(const qi_qu8_add_params *p, int32_t zp) {
  const int32_t off = p->is_int8 ? 128 : 0;
  return (add_io){vdupq_n_u8(p->is_int8 ? 0x80 : 0), vdupq_n_s32(off), vdupq_n_f32((float)(p->qmin - zp)),
                  vdupq_n_f32((float)(p->qmax - zp)), vdupq_n_s32(zp + off)};
}

/* value + off of 16 stored bytes */
static inline qe_i32x16 load16(const uint8_t *x, const add_io *io) { return qe_widen(veorq_u8(vld1q_u8(x), io->flip)); }

static inline void store16(uint8_t *y, const float32x4_t v[4], const add_io *io) {
  qe_i32x16 q;
  for (int j = 0; j < 4; j++) q.v[j] = vaddq_s32(qi_clamp_round_neon(v[j], io->lo, io->hi), io->zp_out);
  vst1q_u8(y, veorq_u8(qe_narrow(q), io->flip));
}

/* (float)(x - zp) * scale from value + off, with zp_off = zp + off */
static inline void dequant16(float32x4_t out[4], qe_i32x16 x, int32x4_t zp_off, float32x4_t scale) {
  for (int j = 0; j < 4; j++) out[j] = vmulq_f32(vcvtq_f32_s32(vsubq_s32(x.v[j], zp_off)), scale);
}

/* (float)x from value + off */
static inline void to_float16(float32x4_t out[4], qe_i32x16 x, int32x4_t off) {
  for (int j = 0; j < 4; j++) out[j] = vcvtq_f32_s32(vsubq_s32(x.v[j], off));
}

static bool neon_exact(const qi_qu8_add_params *p) {
  return p->float_path ? qe_neon_exact_scale(p->a_scale) && qe_neon_exact_scale(p->b_scale)
                       : qe_neon_exact_scale(p->a_ratio) && qe_neon_exact_scale(p->b_ratio) &&
                             qe_neon_exact_scale(p->fixed);
}

void qi_qu8_vadd_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                      const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  if (!neon_exact(p)) {
    qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
    return;
  }
  float32x4_t va[4], vb[4], t[4];
  if (p->float_path) {
    const add_io io = io_make(p, p->y_zero_point);
    const int32x4_t vza = vaddq_s32(vdupq_n_s32(p->a_zero_point), io.off);
    const int32x4_t vzb = vaddq_s32(vdupq_n_s32(p->b_zero_point), io.off);
    const float32x4_t vsa = vdupq_n_f32(p->a_scale), vsb = vdupq_n_f32(p->b_scale), vsy = vdupq_n_f32(p->y_scale);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      dequant16(va, load16(a, &io), vza, vsa);
      dequant16(vb, load16(b, &io), vzb, vsb);
      for (int j = 0; j < 4; j++) t[j] = qv_div(vaddq_f32(va[j], vb[j]), vsy);
      store16(y, t, &io);
    }
  } else {
    const add_io io = io_make(p, 0);
    const float32x4_t vra = vdupq_n_f32(p->a_ratio), vrb = vdupq_n_f32(p->b_ratio), vfix = vdupq_n_f32(p->fixed);
    for (; n >= 16; n -= 16, a += 16, b += 16, y += 16) {
      to_float16(va, load16(a, &io), io.off);
      to_float16(vb, load16(b, &io), io.off);
      for (int j = 0; j < 4; j++) t[j] = vfmaq_f32(vfmaq_f32(vfix, vb[j], vrb), va[j], vra);
      store16(y, t, &io);
    }
  }
  if (n) qi_qu8_vadd_minmax_ukernel__scalar(n, a, b, y, p);
}

void qi_qu8_vaddc_minmax_ukernel__neon(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                       const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const int32_t vb = qi_qu8_add_value(b[0], p);
  if (!neon_exact(p)) {
    qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
    return;
  }
  float32x4_t va[4], t[4];
  if (p->float_path) {
    const add_io io = io_make(p, p->y_zero_point);
    const int32x4_t vza = vaddq_s32(vdupq_n_s32(p->a_zero_point), io.off);
    const float32x4_t vsa = vdupq_n_f32(p->a_scale), vsy = vdupq_n_f32(p->y_scale);
    const float32x4_t bterm = vdupq_n_f32((float)(vb - p->b_zero_point) * p->b_scale);
    for (; n >= 16; n -= 16, a += 16, y += 16) {
      dequant16(va, load16(a, &io), vza, vsa);
      for (int j = 0; j < 4; j++) t[j] = qv_div(vaddq_f32(va[j], bterm), vsy);
      store16(y, t, &io);
    }
  } else {
    const add_io io = io_make(p, 0);
    const float32x4_t vra = vdupq_n_f32(p->a_ratio), vfix = vdupq_n_f32(qi_qu8_add_fixed_b(vb, p));
    for (; n >= 16; n -= 16, a += 16, y += 16) {
      to_float16(va, load16(a, &io), io.off);
      for (int j = 0; j < 4; j++) t[j] = vfmaq_f32(vfix, va[j], vra);
      store16(y, t, &io);
    }
  }
  if (n) qi_qu8_vaddc_minmax_ukernel__scalar(n, a, b, y, p);
}
