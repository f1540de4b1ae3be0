/* Global average pooling, NEON (aarch64 and armv7). CHW rows: the bytes of a row (xor sign_flip) are summed
 * exactly by pairwise widening adds, vpadalq_u8 into 16-bit lanes for up to 128 vectors (128 * 2 * 255 < 2^16),
 * then vpadalq_u16 into 32-bit lanes. Channels last: 16 channels at a time, widened to 16-bit lanes and summed for
 * up to 257 pixels (257 * 255 < 2^16), then added into int32 lanes; the requantization is kernels/requant-neon.h's.
 * Every sum is exact, so the results are those of the scalar kernels. */
#include <arm_neon.h>
#include <assert.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/qu8-dwconv/window-neon.h"
#include "kernels/requant-neon.h"

void qi_qu8_gavgpool_ukernel__neon(size_t rows, size_t length, const uint8_t *input, uint8_t *output,
                                   const qi_qu8_avgpool_params *params) {
  assert(input && output && params && length >= 1 && length <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, length);
  const uint8_t flip = params->sign_flip;
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)length;
  const uint8x16_t vflip = vdupq_n_u8(flip);
  for (size_t r = 0; r < rows; r++, input += length) {
    uint32x4_t s32 = vdupq_n_u32(0);
    size_t i = 0;
    while (i + 16 <= length) {
      const size_t end = length - i > 128 * 16 ? i + 128 * 16 : length;
      uint16x8_t s16 = vdupq_n_u16(0);
      for (; i + 16 <= end; i += 16) s16 = vpadalq_u8(s16, veorq_u8(vld1q_u8(input + i), vflip));
      s32 = vpadalq_u16(s32, s16);
    }
    const uint64x2_t s64 = vpaddlq_u32(s32);
    int64_t sum = (int64_t)(vgetq_lane_u64(s64, 0) + vgetq_lane_u64(s64, 1));
    for (; i < length; i++) sum += input[i] ^ flip;
    output[r] = qi_qu8_avgpool_store_sum(sum, zp_sum, scale, params);
  }
}

void qi_qu8_gavgpool_nwc_ukernel__neon(size_t pixels, size_t channels, const uint8_t *input, uint8_t *output,
                                       const qi_qu8_avgpool_params *params) {
  assert(input && output && params && pixels >= 1 && pixels <= QI_QU8_AVGPOOL_MAX_COUNT);
  const float scale = qi_qu8_avgpool_scale(params, pixels);
  const uint8_t flip = params->sign_flip;
  const int64_t zp_sum = (int64_t)params->x_zero_point * (int64_t)pixels;
  const uint8x16_t vflip = vdupq_n_u8(flip);
  const int32x4_t vzp_sum = vdupq_n_s32((int32_t)zp_sum); /* |zp_sum| <= 255 * 8421504 < 2^31 */
  const float32x4_t vscale = vdupq_n_f32(scale);
  const float32x4_t lo = vdupq_n_f32((float)(params->qmin - params->y_zero_point));
  const float32x4_t hi = vdupq_n_f32((float)(params->qmax - params->y_zero_point));
  const int16x8_t yzp = vdupq_n_s16((int16_t)params->y_zero_point);
  size_t c = 0;
  for (; c + 16 <= channels; c += 16) {
    uint32x4_t acc[4] = {vdupq_n_u32(0), vdupq_n_u32(0), vdupq_n_u32(0), vdupq_n_u32(0)};
    const uint8_t *x = input + c;
    for (size_t p0 = 0; p0 < pixels; p0 += 257) {
      const size_t n = pixels - p0 < 257 ? pixels - p0 : 257;
      uint16x8_t s_lo = vdupq_n_u16(0), s_hi = vdupq_n_u16(0);
      for (size_t p = 0; p < n; p++, x += channels) {
        const uint8x16_t v = veorq_u8(vld1q_u8(x), vflip);
        s_lo = vaddw_u8(s_lo, vget_low_u8(v));
        s_hi = vaddw_u8(s_hi, vget_high_u8(v));
      }
      acc[0] = vaddw_u16(acc[0], vget_low_u16(s_lo));
      acc[1] = vaddw_u16(acc[1], vget_high_u16(s_lo));
      acc[2] = vaddw_u16(acc[2], vget_low_u16(s_hi));
      acc[3] = vaddw_u16(acc[3], vget_high_u16(s_hi));
    }
    int32x4_t q[4];
    for (int k = 0; k < 4; k++)
      q[k] = qi_requant_fp32_neon(vsubq_s32(vreinterpretq_s32_u32(acc[k]), vzp_sum), vscale, lo, hi);
    vst1q_u8(output + c, qi_qu8_pack16_neon(q, yzp, vflip));
  }
  for (; c < channels; c++) {
    int64_t sum = 0;
    const uint8_t *x = input + c;
    for (size_t p = 0; p < pixels; p++, x += channels) sum += x[0] ^ flip;
    output[c] = qi_qu8_avgpool_store_sum(sum, zp_sum, scale, params);
  }
}
