#include "kernels/f32-dwconv/f32-dwconv.h"

void qi_f32_dwconv_minmax_ukernel_3x3__scalar(const qi_window2d *g, const float *input, const float *weights,
                                              float bias, float *output, const qi_f32_minmax_params *params) {
  assert(g && input && weights && output && params);
  assert(g->kernel_h == 3 && g->kernel_w == 3);
  assert(g->stride_h >= 1 && g->stride_w >= 1 && g->dilation_h >= 1 && g->dilation_w >= 1);
  const float vmin = params->min, vmax = params->max;
  const float w00 = weights[0], w01 = weights[1], w02 = weights[2];
  const float w10 = weights[3], w11 = weights[4], w12 = weights[5];
  const float w20 = weights[6], w21 = weights[7], w22 = weights[8];
  const size_t dx = g->dilation_w, sx = g->stride_w;
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, 3, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, 3, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  for (size_t oy = 0; oy < g->out_h; oy++) {
    float *out_row = output + oy * g->out_w;
    if (oy < oy_lo || oy >= oy_hi) {
      for (size_t ox = 0; ox < g->out_w; ox++)
        out_row[ox] = qi_clamp_f32(qi_f32_dwconv_border_pixel(g, input, weights, bias, oy, ox), vmin, vmax);
      continue;
    }
    for (size_t ox = 0; ox < ox_lo; ox++)
      out_row[ox] = qi_clamp_f32(qi_f32_dwconv_border_pixel(g, input, weights, bias, oy, ox), vmin, vmax);
    const float *i0 = input + (oy * g->stride_h - g->pad_top) * g->in_w;
    const float *i1 = i0 + g->dilation_h * g->in_w;
    const float *i2 = i1 + g->dilation_h * g->in_w;
    for (size_t ox = ox_lo, ix = ox_lo * sx - g->pad_left; ox < ox_hi; ox++, ix += sx) {
      float acc = bias;
      acc += w00 * i0[ix] + w01 * i0[ix + dx] + w02 * i0[ix + 2 * dx];
      acc += w10 * i1[ix] + w11 * i1[ix + dx] + w12 * i1[ix + 2 * dx];
      acc += w20 * i2[ix] + w21 * i2[ix + dx] + w22 * i2[ix + 2 * dx];
      out_row[ox] = qi_clamp_f32(acc, vmin, vmax);
    }
    for (size_t ox = ox_hi; ox < g->out_w; ox++)
      out_row[ox] = qi_clamp_f32(qi_f32_dwconv_border_pixel(g, input, weights, bias, oy, ox), vmin, vmax);
  }
}
