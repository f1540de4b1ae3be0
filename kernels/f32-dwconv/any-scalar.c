#include "kernels/f32-dwconv/f32-dwconv.h"

void qi_f32_dwconv_minmax_ukernel_any__scalar(const qi_window2d *g, const float *input, const float *weights,
                                              float bias, float *output, const qi_f32_minmax_params *params) {
  assert(g && input && weights && output && params);
  assert(g->kernel_h >= 1 && g->kernel_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1);
  assert(g->dilation_h >= 1 && g->dilation_w >= 1);
  const float vmin = params->min, vmax = params->max;
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, g->kernel_h, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, g->kernel_w, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  for (size_t oy = 0; oy < g->out_h; oy++) {
    float *out_row = output + oy * g->out_w;
    const bool interior_row = oy >= oy_lo && oy < oy_hi;
    for (size_t ox = 0; ox < g->out_w; ox++) {
      if (!interior_row || ox < ox_lo || ox >= ox_hi) {
        out_row[ox] = qi_clamp_f32(qi_f32_dwconv_border_pixel(g, input, weights, bias, oy, ox), vmin, vmax);
        continue;
      }
      const float *origin = input + (oy * g->stride_h - g->pad_top) * g->in_w + (ox * g->stride_w - g->pad_left);
      float acc = bias;
      for (size_t ky = 0; ky < g->kernel_h; ky++) {
        const float *row = origin + ky * g->dilation_h * g->in_w;
        const float *w = weights + ky * g->kernel_w;
        for (size_t kx = 0; kx < g->kernel_w; kx++) acc += w[kx] * row[kx * g->dilation_w];
      }
      out_row[ox] = qi_clamp_f32(acc, vmin, vmax);
    }
  }
}
