#include <assert.h>

#include "kernels/qu8-avgpool/qu8-avgpool.h"

/* Taps of axis a for output coordinate o that fall inside the padded extent [0, pad_begin + in + pad_end). */
static size_t padded_taps(const qi_windownd *g, size_t a, size_t o) {
  const size_t limit = g->pad_begin[a] + g->in[a] + g->pad_end[a];
  size_t n = 0;
  for (size_t k = 0; k < g->kernel[a]; k++) n += o * g->stride[a] + k * g->dilation[a] < limit;
  return n;
}

void qi_qu8_avgpool_ukernel_nd__scalar(const qi_windownd *g, qi_qu8_avgpool_divisor divisor, size_t channels,
                                       const uint8_t *input, uint8_t *output, const qi_qu8_avgpool_params *params) {
  assert(g && input && output && params && channels >= 1);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS && qi_windownd_taps(g) <= QI_QU8_AVGPOOL_MAX_COUNT);
  const int32_t zp = params->x_zero_point;
  const uint8_t flip = params->sign_flip;
  enum { BLOCK = 64 };
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t n_out = qi_windownd_out_size(g);
  for (size_t i = 0; i < n_out; i++, qi_windownd_step(g->dims, g->out, o)) {
    size_t taps = 0;
    for (size_t c0 = 0; c0 < channels; c0 += BLOCK) {
      const size_t nc = channels - c0 < BLOCK ? channels - c0 : BLOCK;
      int32_t acc[BLOCK] = {0};
      taps = 0;
      qi_window_cursor cur;
      if (qi_window_cursor_start(&cur, g, o)) {
        do {
          for (size_t k = 0; k < cur.taps; k++) {
            const uint8_t *x = input + (cur.offset + k * cur.step) * channels + c0;
            for (size_t c = 0; c < nc; c++) acc[c] += (int32_t)(x[c] ^ flip) - zp;
          }
          taps += cur.taps;
        } while (qi_window_cursor_next(&cur));
      }
      if (taps != 0 && divisor == QI_QU8_AVGPOOL_DIV_WINDOW) taps = qi_windownd_taps(g);
      if (taps != 0 && divisor == QI_QU8_AVGPOOL_DIV_PADDED) {
        taps = 1;
        for (size_t a = 0; a < g->dims; a++) taps *= padded_taps(g, a, o[a]);
      }
      for (size_t c = 0; c < nc; c++) output[i * channels + c0 + c] = qi_qu8_avgpool_store(acc[c], taps, params);
    }
  }
}
