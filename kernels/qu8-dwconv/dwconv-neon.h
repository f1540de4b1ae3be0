/* The NEON depthwise body shared by 3x3-neon.c and any-neon.c (include only from -neon files; aarch64 and armv7).
 *
 * Rows are staged as in the AVX2 body (window.h: all padded input rows of a band of output rows are copied
 * before its outputs are computed), but in the signed domain s = x_u8 ^ 0x80 = x_u8 - 128 (for int8 tensors the
 * raw bytes, for uint8 tensors each byte xor 0x80, done by the staging copy) and padded with x_zero_point ^ 0x80,
 * so padding taps contribute w * (x_zp - x_zp) = 0 and every output of the row, borders included, takes the
 * vector path: 16 outputs at a time, for stride_w 1 or 2 (others use the scalar kernels). Then
 *
 *     acc = bias + sum_t w[t] * (x_t - x_zp) = [bias + (128 - x_zp) * sum_t w[t]] + sum_t w[t] * s_t
 *
 * The bracket is the start value of every lane. Per tap, vmull_s8 multiplies the 16 inputs by the weight into
 * int16 products (|w * s| <= 128 * 128 = 2^14: exact; no two products are ever summed in int16, where
 * 2 * 2^14 would overflow) and vaddw_s16 widens them into four int32x4 accumulators (outputs 4k .. 4k + 3).
 * The requantization is kernels/requant-neon.h's, bit-exact with the scalar rule; the last partial vector of a
 * row is stored in full when it stays inside the plane (its excess lands in the next rows, written later),
 * else through a buffer.
 * llvm-mca regions (kernels/mca.h): the 3x3 kernel's innermost loop is the one over 16-output steps (its 9
 * taps unrolled): the region is that step up to the requantized bytes, 9 x 16 = 144 MACs; the any-size
 * kernel's is the tap loop, 16 MACs per tap. */
#ifndef QI_QU8_DWCONV_NEON_H
#define QI_QU8_DWCONV_NEON_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/mca.h"
#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"
#include "kernels/qu8-dwconv/window-neon.h"
#include "kernels/requant-neon.h"

#define QI_QU8_DWCONV_NEON_MAX_TAPS 64 /* larger windows take the scalar kernel */

/* Bytes of the padded rows of the NEON body, or 0 when a band of them does not fit the stack buffer. */
static inline size_t qi_qu8_dwconv_neon_row_bytes(const qi_window2d *g) {
  const size_t row_w = qi_qu8_window_neon_row_bytes(g);
  return qi_qu8_band_out_rows(g, row_w) ? row_w : 0;
}

/* acc[k] (outputs 4k .. 4k + 3) += w * (the 16 signed inputs at p, stride sx); w: the weight in every lane. */
static inline __attribute__((always_inline)) void qi_qu8_dw_tap_neon(int32x4_t acc[4], const uint8_t *p, size_t sx,
                                                                      int8x16_t w) {
  const int8x16_t x = vreinterpretq_s8_u8(qi_qu8_load16_neon(p, sx));
  const int16x8_t lo = vmull_s8(vget_low_s8(x), vget_low_s8(w));
#if defined(__aarch64__)
  const int16x8_t hi = vmull_high_s8(x, w); /* smull2: no move of the high half */
#else
  const int16x8_t hi = vmull_s8(vget_high_s8(x), vget_low_s8(w));
#endif
  acc[0] = vaddw_s16(acc[0], vget_low_s16(lo));
  acc[1] = vaddw_s16(acc[1], vget_high_s16(lo));
  acc[2] = vaddw_s16(acc[2], vget_low_s16(hi));
  acc[3] = vaddw_s16(acc[3], vget_high_s16(hi));
}

/* The output parameters of requant-neon.h, and the zero point added in int16. */
typedef struct qi_qu8_dw_requant_neon {
  float32x4_t scale, lo, hi;
  int16x8_t zp;
  uint8x16_t flip;
} qi_qu8_dw_requant_neon;

/* 16 accumulators (acc[k]: outputs 4k .. 4k + 3) requantized into 16 bytes in the tensor's domain. */
static inline __attribute__((always_inline)) uint8x16_t qi_qu8_dw_requant16_neon(const int32x4_t acc[4],
                                                                                  const qi_qu8_dw_requant_neon *r) {
  int32x4_t q[4];
  for (int k = 0; k < 4; k++) q[k] = qi_requant_fp32_neon(acc[k], r->scale, r->lo, r->hi);
  return qi_qu8_pack16_neon(q, r->zp, r->flip);
}

/* Precondition: ntaps = kh * kw <= QI_QU8_DWCONV_NEON_MAX_TAPS, sx = stride_w is 1 or 2 and
 * row_w = qi_qu8_dwconv_neon_row_bytes(g) != 0. unrolled_3x3: kh = kw = 3 as constants, the taps unrolled. */
static inline __attribute__((always_inline)) void qi_qu8_dwconv_neon_body(
    const qi_window2d *g, const uint8_t *input, const int8_t *weights, int32_t bias, float scale, uint8_t *output,
    const qi_qu8_dwconv_params *p, size_t kh, size_t kw, size_t sx, size_t row_w, bool unrolled_3x3) {
  const size_t ntaps = kh * kw;
  int32_t wsum = 0;
  for (size_t t = 0; t < ntaps; t++) wsum += weights[t];
  /* modulo 2^32 like the vector adds: exact whenever the output's sum fits int32, whatever the bias */
  const int32x4_t vbase = vdupq_n_s32((int32_t)((uint32_t)bias + (uint32_t)((128 - p->x_zero_point) * wsum)));
  const qi_qu8_dw_requant_neon rq = {vdupq_n_f32(scale), vdupq_n_f32((float)(p->qmin - p->y_zero_point)),
                                     vdupq_n_f32((float)(p->qmax - p->y_zero_point)),
                                     vdupq_n_s16((int16_t)p->y_zero_point), vdupq_n_u8(p->sign_flip)};
  const uint8_t pad_byte = (uint8_t)(p->x_zero_point ^ 0x80); /* x_zero_point in the signed domain */
  int8_t w[QI_QU8_DWCONV_NEON_MAX_TAPS]; /* a local copy: the output's stores cannot alias it */
  for (size_t t = 0; t < ntaps; t++) w[t] = weights[t];
  /* the 3x3 kernel's weights as named values (an array of vectors would stay in memory) */
  const int8x16_t w00 = vdupq_n_s8(w[0]), w01 = vdupq_n_s8(w[1 % ntaps]), w02 = vdupq_n_s8(w[2 % ntaps]);
  const int8x16_t w10 = vdupq_n_s8(w[3 % ntaps]), w11 = vdupq_n_s8(w[4 % ntaps]), w12 = vdupq_n_s8(w[5 % ntaps]);
  const int8x16_t w20 = vdupq_n_s8(w[6 % ntaps]), w21 = vdupq_n_s8(w[7 % ntaps]), w22 = vdupq_n_s8(w[8 % ntaps]);
  const size_t dx = g->dilation_w;
  const uint8_t *tap[QI_QU8_DWCONV_NEON_MAX_TAPS];
  const size_t out_w = g->out_w, band = qi_qu8_band_out_rows(g, row_w), plane_bytes = g->out_h * out_w;
  uint8_t buf[QI_QU8_BAND_BYTES];
  for (size_t oy0 = 0; oy0 < g->out_h; oy0 += band) {
    const size_t oy1 = oy0 + band < g->out_h ? oy0 + band : g->out_h;
    /* int8 tensors (sign_flip 0x80) are already signed: a plain copy; uint8 ones xor 0x80 */
    const size_t y0 = p->sign_flip
                          ? qi_qu8_band_stage(buf, g, input, row_w, pad_byte, oy0, oy1, qi_qu8_copy_neon)
                          : qi_qu8_band_stage(buf, g, input, row_w, pad_byte, oy0, oy1, qi_qu8_copy_xor80_neon);
    for (size_t oy = oy0; oy < oy1; oy++) {
      for (size_t ky = 0; ky < kh; ky++) {
        const uint8_t *r = buf + (oy * g->stride_h + ky * g->dilation_h - y0) * row_w;
        for (size_t kx = 0; kx < kw; kx++) tap[ky * kw + kx] = r + kx * g->dilation_w;
      }
      uint8_t *out_row = output + oy * out_w;
      for (size_t ox = 0; ox < out_w; ox += 16) {
        const size_t ix = ox * sx;
        int32x4_t acc[4] = {vbase, vbase, vbase, vbase};
        uint8x16_t bytes;
        if (unrolled_3x3) {
          QI_MCA_BEGIN("qi_qu8_dwconv_minmax_ukernel_3x3__neon", 144);
          const uint8_t *r0 = tap[0] + ix, *r1 = tap[3] + ix, *r2 = tap[6] + ix;
          qi_qu8_dw_tap_neon(acc, r0, sx, w00), qi_qu8_dw_tap_neon(acc, r0 + dx, sx, w01);
          qi_qu8_dw_tap_neon(acc, r0 + 2 * dx, sx, w02), qi_qu8_dw_tap_neon(acc, r1, sx, w10);
          qi_qu8_dw_tap_neon(acc, r1 + dx, sx, w11), qi_qu8_dw_tap_neon(acc, r1 + 2 * dx, sx, w12);
          qi_qu8_dw_tap_neon(acc, r2, sx, w20), qi_qu8_dw_tap_neon(acc, r2 + dx, sx, w21);
          qi_qu8_dw_tap_neon(acc, r2 + 2 * dx, sx, w22);
          bytes = qi_qu8_dw_requant16_neon(acc, &rq);
          QI_MCA_END("qi_qu8_dwconv_minmax_ukernel_3x3__neon");
        } else {
          for (size_t t = 0; t < ntaps; t++) {
            QI_MCA_BEGIN("qi_qu8_dwconv_minmax_ukernel_any__neon", 16);
            qi_qu8_dw_tap_neon(acc, tap[t] + ix, sx, vld1q_dup_s8(w + t));
            QI_MCA_END("qi_qu8_dwconv_minmax_ukernel_any__neon");
          }
          bytes = qi_qu8_dw_requant16_neon(acc, &rq);
        }
        if (oy * out_w + ox + 16 <= plane_bytes) { /* may run into the next rows, written later */
          vst1q_u8(out_row + ox, bytes);
        } else {
          uint8_t last[16];
          vst1q_u8(last, bytes);
          qi_qu8_copy_short(out_row + ox, last, out_w - ox);
        }
      }
    }
  }
}

#endif /* QI_QU8_DWCONV_NEON_H */
