#include "kernels/qu8-dwconv/dwconv-neon.h"

/* the window and the stride as constants: the 9 taps unroll with their weights in registers */
void qi_qu8_dwconv_minmax_ukernel_3x3__neon(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                            int32_t bias, float scale, uint8_t *output,
                                            const qi_qu8_dwconv_params *params) {
  qi_qu8_dwconv_check(g, input, weights, output, params);
  assert(g->kernel_h == 3 && g->kernel_w == 3);
  const size_t row_w = qi_qu8_dwconv_neon_row_bytes(g);
  if (row_w && g->stride_w == 1)
    qi_qu8_dwconv_neon_body(g, input, weights, bias, scale, output, params, 3, 3, 1, row_w, true);
  else if (row_w && g->stride_w == 2)
    qi_qu8_dwconv_neon_body(g, input, weights, bias, scale, output, params, 3, 3, 2, row_w, true);
  else
    qi_qu8_dwconv_minmax_ukernel_3x3__scalar(g, input, weights, bias, scale, output, params);
}
