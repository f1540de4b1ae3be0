#include <arm_neon.h>
#include <assert.h>

#include "kernels/qu8-lut/qu8-lut.h"

/* 256-entry lookup with tbl / tbx, 16 bytes per step. A tbl lookup gives 0 for an index past its table and tbx
 * leaves the lane as it was, so a tbl over the first part of the table and a tbx over each later part, with the
 * index lowered by the part's start (uint8 wrap-around puts indices below the part past its end), leaves every
 * lane with table[x]:
 *   aarch64: four 64-byte parts, vqtbl4q_u8 / vqtbx4q_u8 on 16 indices;
 *   32-bit Arm: eight 32-byte parts, vtbl4_u8 / vtbx4_u8 on 8 indices, twice per step.
 * The tail (n % 16) is a scalar loop. Safe in place (x == y): each step loads its 16 bytes before it stores. */
#if defined(__aarch64__)
void qi_qu8_lut_ukernel__neon(size_t n, const uint8_t *x, uint8_t *y, const uint8_t table[256]) {
  assert(n == 0 || (x != NULL && y != NULL && table != NULL));
  if (n >= 16) {
    const uint8x16x4_t t0 = vld1q_u8_x4(table), t1 = vld1q_u8_x4(table + 64);
    const uint8x16x4_t t2 = vld1q_u8_x4(table + 128), t3 = vld1q_u8_x4(table + 192);
    const uint8x16_t v64 = vdupq_n_u8(64);
    for (; n >= 16; n -= 16, x += 16, y += 16) {
      uint8x16_t i = vld1q_u8(x);
      uint8x16_t r = vqtbl4q_u8(t0, i);
      i = vsubq_u8(i, v64);
      r = vqtbx4q_u8(r, t1, i);
      i = vsubq_u8(i, v64);
      r = vqtbx4q_u8(r, t2, i);
      i = vsubq_u8(i, v64);
      vst1q_u8(y, vqtbx4q_u8(r, t3, i));
    }
  }
  for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}
#else  /* 32-bit Arm */
static inline uint8x8x4_t part(const uint8_t *t) {
  const uint8x16_t lo = vld1q_u8(t), hi = vld1q_u8(t + 16);
  return (uint8x8x4_t){{vget_low_u8(lo), vget_high_u8(lo), vget_low_u8(hi), vget_high_u8(hi)}};
}

static inline uint8x8_t lookup8(const uint8x8x4_t t[8], uint8x8_t i) {
  const uint8x8_t v32 = vdup_n_u8(32);
  uint8x8_t r = vtbl4_u8(t[0], i);
  for (int k = 1; k < 8; k++) {
    i = vsub_u8(i, v32);
    r = vtbx4_u8(r, t[k], i);
  }
  return r;
}

void qi_qu8_lut_ukernel__neon(size_t n, const uint8_t *x, uint8_t *y, const uint8_t table[256]) {
  assert(n == 0 || (x != NULL && y != NULL && table != NULL));
  if (n >= 16) {
    uint8x8x4_t t[8];
    for (int k = 0; k < 8; k++) t[k] = part(table + 32 * k);
    for (; n >= 16; n -= 16, x += 16, y += 16) {
      const uint8x16_t i = vld1q_u8(x);
      vst1q_u8(y, vcombine_u8(lookup8(t, vget_low_u8(i)), lookup8(t, vget_high_u8(i))));
    }
  }
  for (size_t i = 0; i < n; i++) y[i] = table[x[i]];
}
#endif /* __aarch64__ */
