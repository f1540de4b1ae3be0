/* Windowed average pooling over one CHW plane, NEON (aarch64 and armv7): the AVX2 kernel's method with 16-byte
 * vectors. The window sums of 16 outputs at a time (stride_w 1 or 2; vld2q takes the even bytes at stride 2)
 * from zero-point-padded row copies (kernels/qu8-dwconv/window.h), so every tap outside the plane adds
 * x_zero_point and acc = sum - x_zero_point * taps is the sum over the in-bounds taps, exactly; 16-bit lanes
 * (vaddw_u8) hold sums of up to 257 taps. Each output's scale comes from avgpool-scales.h's per-column table,
 * and the requantization is kernels/requant-neon.h's with that scale per lane (bit-exact). Windows of more than
 * 256 taps or rows, stride_w > 2 and planes too wide for the stack buffers take the scalar kernel. */
#include <arm_neon.h>
#include <assert.h>
#include <string.h>

#include "kernels/qu8-avgpool/avgpool-scales.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/window-neon.h"
#include "kernels/requant-neon.h"

static __attribute__((always_inline)) inline void avgpool_rows(const qi_window2d *g, qi_qu8_avgpool_divisor divisor,
                                                               const uint8_t *input, uint8_t *output,
                                                               const qi_qu8_avgpool_params *p, size_t sx,
                                                               size_t row_w) {
  const size_t ntaps = g->kernel_h * g->kernel_w;
  const uint8_t flip = p->sign_flip;
  const uint8x16_t vflip = vdupq_n_u8(flip);
  const int32x4_t vzp_taps = vdupq_n_s32(p->x_zero_point * (int32_t)ntaps);
  const float32x4_t lo = vdupq_n_f32((float)(p->qmin - p->y_zero_point));
  const float32x4_t hi = vdupq_n_f32((float)(p->qmax - p->y_zero_point));
  const int16x8_t yzp = vdupq_n_s16((int16_t)p->y_zero_point);
  qi_qu8_avgpool_scales sc;
  qi_qu8_avgpool_scales_init(&sc, g);
  qi_qu8_padded_rows rows;
  qi_qu8_padded_rows_init(&rows, g, row_w, (uint8_t)(p->x_zero_point ^ flip));
  const uint8_t *tap[QI_QU8_AVGPOOL_SIMD_MAX_TAPS];
  for (size_t oy = 0; oy < g->out_h; oy++) {
    qi_qu8_avgpool_scales_row(&sc, g, divisor, p, oy);
    qi_qu8_padded_taps(&rows, g, input, oy, tap);
    uint8_t *out_row = output + oy * g->out_w;
    for (size_t ox = 0; ox < g->out_w; ox += 16) {
      const size_t ix = ox * sx;
      uint16x8_t sum_lo = vdupq_n_u16(0), sum_hi = vdupq_n_u16(0);
      for (size_t t = 0; t < ntaps; t++) {
        const uint8x16_t x = veorq_u8(qi_qu8_load16_neon(tap[t] + ix, sx), vflip);
        sum_lo = vaddw_u8(sum_lo, vget_low_u8(x));
        sum_hi = vaddw_u8(sum_hi, vget_high_u8(x));
      }
      const uint16x4_t s16[4] = {vget_low_u16(sum_lo), vget_high_u16(sum_lo), vget_low_u16(sum_hi),
                                 vget_high_u16(sum_hi)};
      int32x4_t q[4];
      for (int k = 0; k < 4; k++) {
        const int32x4_t acc = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(s16[k])), vzp_taps);
        q[k] = qi_requant_fp32_neon(acc, vld1q_f32(sc.scale + ox + 4 * (size_t)k), lo, hi);
      }
      const uint8x16_t bytes = qi_qu8_pack16_neon(q, yzp, vflip);
      if (ox + 16 <= g->out_w) {
        vst1q_u8(out_row + ox, bytes);
      } else {
        uint8_t last[16];
        vst1q_u8(last, bytes);
        memcpy(out_row + ox, last, g->out_w - ox);
      }
    }
  }
}

void qi_qu8_avgpool2d_chw_ukernel__neon(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                        uint8_t *output, const qi_qu8_avgpool_params *params) {
  assert(g && input && output && params);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  const size_t row_w = qi_qu8_window_neon_row_bytes(g);
  if (!qi_qu8_avgpool_simd_takes(g, row_w))
    qi_qu8_avgpool2d_chw_ukernel__scalar(g, divisor, input, output, params);
  else if (g->stride_w == 1)
    avgpool_rows(g, divisor, input, output, params, 1, row_w);
  else
    avgpool_rows(g, divisor, input, output, params, 2, row_w);
}
