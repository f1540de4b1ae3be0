#include "kernels/qu8-dwconv/qu8-dwconv-internal.h"

void qi_qu8_dwconv_minmax_ukernel_3x3__scalar(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                              int32_t bias, float scale, uint8_t *output,
                                              const qi_qu8_dwconv_params *params) {
  qi_qu8_dwconv_check(g, input, weights, output, params);
  assert(g->kernel_h == 3 && g->kernel_w == 3);
  const int32_t w00 = weights[0], w01 = weights[1], w02 = weights[2];
  const int32_t w10 = weights[3], w11 = weights[4], w12 = weights[5];
  const int32_t w20 = weights[6], w21 = weights[7], w22 = weights[8];
  const int32_t zp = params->x_zero_point;
  const uint8_t flip = params->sign_flip;
#define X(row, col) ((int32_t)(row[col] ^ flip) - zp)
  const size_t dx = g->dilation_w, sx = g->stride_w;
  size_t oy_lo, oy_hi, ox_lo, ox_hi;
  qi_window_interior(g->in_h, g->out_h, 3, g->stride_h, g->dilation_h, g->pad_top, &oy_lo, &oy_hi);
  qi_window_interior(g->in_w, g->out_w, 3, g->stride_w, g->dilation_w, g->pad_left, &ox_lo, &ox_hi);
  qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, 0, oy_lo, 0, g->out_w);
  for (size_t oy = oy_lo; oy < oy_hi; oy++) {
    uint8_t *out_row = output + oy * g->out_w;
    qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy, oy + 1, 0, ox_lo);
    const uint8_t *i0 = input + (oy * g->stride_h - g->pad_top) * g->in_w;
    const uint8_t *i1 = i0 + g->dilation_h * g->in_w;
    const uint8_t *i2 = i1 + g->dilation_h * g->in_w;
    for (size_t ox = ox_lo, ix = ox_lo * sx - g->pad_left; ox < ox_hi; ox++, ix += sx) {
      int32_t acc = bias;
      acc += w00 * X(i0, ix) + w01 * X(i0, ix + dx) + w02 * X(i0, ix + 2 * dx);
      acc += w10 * X(i1, ix) + w11 * X(i1, ix + dx) + w12 * X(i1, ix + 2 * dx);
      acc += w20 * X(i2, ix) + w21 * X(i2, ix + dx) + w22 * X(i2, ix + 2 * dx);
      out_row[ox] = qi_qu8_dwconv_store(acc, scale, params);
    }
    qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy, oy + 1, ox_hi, g->out_w);
  }
  qi_qu8_dwconv_border_block(g, input, weights, bias, scale, output, params, oy_hi, g->out_h, 0, g->out_w);
#undef X
}
