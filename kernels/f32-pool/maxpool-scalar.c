#include <assert.h>
#include <float.h>

#include "kernels/f32-pool/f32-pool.h"

void qi_f32_maxpool2d_chw_ukernel__scalar(const qi_window2d *g, const float *input, float *output) {
  assert(g && input && output);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, g->kernel_h, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, g->kernel_w, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  for (size_t oy = 0; oy < g->out_h; oy++) {
    for (size_t ox = 0; ox < g->out_w; ox++) {
      float best = -FLT_MAX;
      if (oy >= oy_lo && oy < oy_hi && ox >= ox_lo && ox < ox_hi) {
        const float *origin = input + (oy * g->stride_h - g->pad_top) * g->in_w + (ox * g->stride_w - g->pad_left);
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const float *row = origin + ky * g->dilation_h * g->in_w;
          for (size_t kx = 0; kx < g->kernel_w; kx++) {
            const float v = row[kx * g->dilation_w];
            best = v > best ? v : best;
          }
        }
      } else {
        for (size_t ky = 0; ky < g->kernel_h; ky++) {
          const size_t iy = oy * g->stride_h + ky * g->dilation_h;
          if (iy < g->pad_top || iy - g->pad_top >= g->in_h) continue;
          const float *row = input + (iy - g->pad_top) * g->in_w;
          for (size_t kx = 0; kx < g->kernel_w; kx++) {
            const size_t ix = ox * g->stride_w + kx * g->dilation_w;
            if (ix < g->pad_left || ix - g->pad_left >= g->in_w) continue;
            const float v = row[ix - g->pad_left];
            best = v > best ? v : best;
          }
        }
      }
      output[oy * g->out_w + ox] = best;
    }
  }
}
