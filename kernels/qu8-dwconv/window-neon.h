/* The NEON side of the 8-bit window kernels (qu8 depthwise convolution and average pooling; include only from
 * -neon files, aarch64 and armv7): 16-output vectors over the padded rows of window.h (the portable staging),
 * copies without a library call for staging bands (plain, or with every byte xor 0x80), the load of one
 * tap's 16 inputs at stride 1 or 2, and the packing of 16 requantized results into bytes. Only base NEON
 * intrinsics that armv7 has too. */
#ifndef QI_QU8_WINDOW_NEON_H
#define QI_QU8_WINDOW_NEON_H

#include <arm_neon.h>
#include <stdint.h>

#include "kernels/qu8-dwconv/window.h"

/* Bytes of one padded row copy for 16-output vectors of stride_w 1 or 2 (qi_qu8_window_row_bytes: a stride-2
 * step reads 32 bytes), 0 when the window takes the scalar kernels. */
static inline size_t qi_qu8_window_neon_row_bytes(const qi_window2d *g) { return qi_qu8_window_row_bytes(g, 16); }

/* memcpy of n bytes, each xor `x` (a constant where inlined), without a library call: 16-byte moves, the last
 * one overlapping the one before inside [0, n) of both buffers (it rewrites those bytes from src, so with the
 * same values). */
static inline __attribute__((always_inline)) void qi_qu8_copy_xor_neon(uint8_t *dst, const uint8_t *src, size_t n,
                                                                       uint8_t x) {
  const uint8x16_t vx = vdupq_n_u8(x);
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), vx));
    if (i < n) vst1q_u8(dst + n - 16, veorq_u8(vld1q_u8(src + n - 16), vx));
  } else {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(src[i] ^ x);
  }
}

static inline void qi_qu8_copy_neon(uint8_t *dst, const uint8_t *src, size_t n) {
  qi_qu8_copy_xor_neon(dst, src, n, 0);
}

static inline void qi_qu8_copy_xor80_neon(uint8_t *dst, const uint8_t *src, size_t n) {
  qi_qu8_copy_xor_neon(dst, src, n, 0x80);
}

/* The 16 bytes that outputs ox .. ox + 15 of one tap read (p[0], p[sx], ..., p[15 sx]): stride 1 one load,
 * stride 2 the even bytes of 32 (vld2q's first register). */
static inline __attribute__((always_inline)) uint8x16_t qi_qu8_load16_neon(const uint8_t *p, size_t sx) {
  return sx == 1 ? vld1q_u8(p) : vld2q_u8(p).val[0];
}

/* 16 requantized results (q[k]: outputs 4k .. 4k + 3, rounded, the zero point not yet added, each in
 * [qmin - zp, qmax - zp]) as 16 bytes in the tensor's domain: the int16 narrowing and the zero point's add are
 * exact and the unsigned saturation to bytes changes nothing. */
static inline __attribute__((always_inline)) uint8x16_t qi_qu8_pack16_neon(const int32x4_t q[4], int16x8_t zp,
                                                                            uint8x16_t flip) {
  const int16x8_t a = vaddq_s16(vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1])), zp);
  const int16x8_t b = vaddq_s16(vcombine_s16(vmovn_s32(q[2]), vmovn_s32(q[3])), zp);
  return veorq_u8(vcombine_u8(vqmovun_s16(a), vqmovun_s16(b)), flip);
}

#endif /* QI_QU8_WINDOW_NEON_H */
