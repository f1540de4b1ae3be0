#include "kernels/qu8-dwconv/dwconv-neon.h"

void qi_qu8_dwconv_minmax_ukernel_any__neon(const qi_window2d *g, const uint8_t *input, const int8_t *weights,
                                            int32_t bias, float scale, uint8_t *output,
                                            const qi_qu8_dwconv_params *params) {
  qi_qu8_dwconv_check(g, input, weights, output, params);
  const size_t kh = g->kernel_h, kw = g->kernel_w, row_w = qi_qu8_dwconv_neon_row_bytes(g);
  if (kh * kw > QI_QU8_DWCONV_NEON_MAX_TAPS || g->stride_w > 2 || !row_w)
    qi_qu8_dwconv_minmax_ukernel_any__scalar(g, input, weights, bias, scale, output, params);
  else if (g->stride_w == 1)
    qi_qu8_dwconv_neon_body(g, input, weights, bias, scale, output, params, kh, kw, 1, row_w, false);
  else
    qi_qu8_dwconv_neon_body(g, input, weights, bias, scale, output, params, kh, kw, 2, row_w, false);
}
