#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"

void qi_qu8_dwconv_minmax_ukernel_any__scalar(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                              int32_t bias, float scale, uint8_t *output,
                                              const qi_qu8_dwconv_params *params) {
  qi_qu8_dwconv_check(g, input, weights, output, params);
  const int32_t zp = params->x_zero_point;
  const uint8_t flip = params->sign_flip;
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, g->kernel_h, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, g->kernel_w, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, 0, oy_lo, 0, g->out_w);
  for (size_t oy = oy_lo; oy < oy_hi; oy++) {
    uint8_t *out_row = output + oy * g->out_w;
    qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy, oy + 1, 0, ox_lo);
    for (size_t ox = ox_lo; ox < ox_hi; ox++) {
      const uint8_t *origin = input + (oy * g->stride_h - g->pad_top) * g->in_w + (ox * g->stride_w - g->pad_left);
      const int32_t acc = qi_qu8_dwconv_interior_acc(g, origin, weights, bias, zp, flip);
      out_row[ox] = qi_qu8_dwconv_store(acc, scale, params);
    }
    qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy, oy + 1, ox_hi, g->out_w);
  }
  qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy_hi, g->out_h, 0, g->out_w);
}
