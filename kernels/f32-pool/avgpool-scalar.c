#include <assert.h>

#include "kernels/f32-pool/f32-pool.h"

/* Number of taps of a window starting at padded coordinate `start` that fall inside [0, limit). */
static size_t taps_below(size_t start, size_t kernel, size_t dilation, size_t limit) {
  size_t n = 0;
  for (size_t k = 0; k < kernel; k++) n += start + k * dilation < limit;
  return n;
}

void qi_f32_avgpool2d_chw_ukernel__scalar(const qi_window2d *g, bool count_include_pad, const float *input,
                                          float *output) {
  assert(g && input && output);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, g->kernel_h, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, g->kernel_w, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  /* every average is its sum (taps in row-major window order, from 0) divided by its count: the SIMD kernels
   * compute the same operations, so the results are identical on every path */
  const float full_count = (float)(g->kernel_h * g->kernel_w);
  for (size_t oy = 0; oy < g->out_h; oy++) {
    for (size_t ox = 0; ox < g->out_w; ox++) {
      float sum = 0.0f;
      float *out = &output[oy * g->out_w + ox];
      if (oy >= oy_lo && oy < oy_hi && ox >= ox_lo && ox < ox_hi) {
        const float *origin = input + (oy * g->stride_h - g->pad_top) * g->in_w + (ox * g->stride_w - g->pad_left);
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const float *row = origin + ky * g->dilation_h * g->in_w;
          for (size_t kx = 0; kx < g->kernel_w; kx++) sum += row[kx * g->dilation_w];
        }
        *out = sum / full_count;
        continue;
      }
      size_t count = 0;
      for (size_t ky = 0; ky < g->kernel_h; ky++) {
        const size_t iy = oy * g->stride_h + ky * g->dilation_h;
        if (iy < g->pad_top || iy - g->pad_top >= g->in_h) continue;
        const float *row = input + (iy - g->pad_top) * g->in_w;
        for (size_t kx = 0; kx < g->kernel_w; kx++) {
          const size_t ix = ox * g->stride_w + kx * g->dilation_w;
          if (ix < g->pad_left || ix - g->pad_left >= g->in_w) continue;
          sum += row[ix - g->pad_left];
          count++;
        }
      }
      if (count == 0) {
        *out = 0.0f;
        continue;
      }
      if (count_include_pad) {
        /* taps inside the padded extent, in padded coordinates [0, pad + in + pad_end) */
        count = taps_below(oy * g->stride_h, g->kernel_h, g->dilation_h, g->pad_top + g->in_h + g->pad_bottom) *
                taps_below(ox * g->stride_w, g->kernel_w, g->dilation_w, g->pad_left + g->in_w + g->pad_right);
      }
      *out = sum / (float)count;
    }
  }
}
