#include <assert.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"

/* Number of taps of a window starting at padded coordinate `start` that fall inside [0, limit). */
static size_t taps_below(size_t start, size_t kernel, size_t dilation, size_t limit) {
  size_t n = 0;
  for (size_t k = 0; k < kernel; k++) n += start + k * dilation < limit;
  return n;
}

void qi_qu8_avgpool2d_chw_ukernel__scalar(const qi_window2d *g, qi_qu8_avgpool_divisor divisor, const uint8_t *input,
                                          uint8_t *output, const qi_qu8_avgpool_params *params) {
  assert(g && input && output && params);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1 && g->kernel_h * g->kernel_w <= QI_QU8_AVGPOOL_MAX_COUNT);
  const int32_t zp = params->x_zero_point;
  const uint8_t flip = params->sign_flip;
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, g->kernel_h, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, g->kernel_w, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  const size_t full = g->kernel_h * g->kernel_w;
  const float full_scale = qi_qu8_avgpool_scale(params, full);
  for (size_t oy = 0; oy < g->out_h; oy++) {
    for (size_t ox = 0; ox < g->out_w; ox++) {
      int32_t acc = 0;
      uint8_t *out = &output[oy * g->out_w + ox];
      if (oy >= oy_lo && oy < oy_hi && ox >= ox_lo && ox < ox_hi) {
        const uint8_t *origin = input + (oy * g->stride_h - g->pad_top) * g->in_w + (ox * g->stride_w - g->pad_left);
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const uint8_t *row = origin + ky * g->dilation_h * g->in_w;
          for (size_t kx = 0; kx < g->kernel_w; kx++) acc += (int32_t)(row[kx * g->dilation_w] ^ flip) - zp;
        }
        *out = (uint8_t)((uint8_t)qi_requant_fp32(acc, full_scale, params->y_zero_point, params->qmin, params->qmax) ^
                         flip);
        continue;
      }
      size_t count = 0;
      for (size_t ky = 0; ky < g->kernel_h; ky++) {
        const size_t iy = oy * g->stride_h + ky * g->dilation_h;
        if (iy < g->pad_top || iy - g->pad_top >= g->in_h) continue;
        const uint8_t *row = input + (iy - g->pad_top) * g->in_w;
        for (size_t kx = 0; kx < g->kernel_w; kx++) {
          const size_t ix = ox * g->stride_w + kx * g->dilation_w;
          if (ix < g->pad_left || ix - g->pad_left >= g->in_w) continue;
          acc += (int32_t)(row[ix - g->pad_left] ^ flip) - zp;
          count++;
        }
      }
      if (count != 0 && divisor == QI_QU8_AVGPOOL_DIV_WINDOW) count = full;
      if (count != 0 && divisor == QI_QU8_AVGPOOL_DIV_PADDED) /* taps inside the padded extent, in padded coordinates */
        count = taps_below(oy * g->stride_h, g->kernel_h, g->dilation_h, g->pad_top + g->in_h + g->pad_bottom) *
                taps_below(ox * g->stride_w, g->kernel_w, g->dilation_w, g->pad_left + g->in_w + g->pad_right);
      *out = qi_qu8_avgpool_store(acc, count, params);
    }
  }
}
