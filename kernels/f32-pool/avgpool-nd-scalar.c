#include <assert.h>

#include "kernels/f32-pool/f32-pool.h"

/* Taps of axis a for output coordinate o that fall inside the padded extent [0, pad_begin + in + pad_end). */
static size_t padded_taps(const qi_windownd *g, size_t a, size_t o) {
  const size_t limit = g->pad_begin[a] + g->in[a] + g->pad_end[a];
  size_t n = 0;
  for (size_t k = 0; k < g->kernel[a]; k++) n += o * g->stride[a] + k * g->dilation[a] < limit;
  return n;
}

void qi_f32_avgpool_ukernel_nd__scalar(const qi_windownd *g, bool count_include_pad, const float *input,
                                       float *output) {
  assert(g && input && output);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t count = qi_windownd_out_size(g);
  for (size_t i = 0; i < count; i++) {
    float sum = 0.0f;
    size_t taps = 0;
    qi_window_cursor c;
    if (qi_window_cursor_start(&c, g, o)) {
      do {
        const float *row = input + c.offset;
        for (size_t k = 0; k < c.taps; k++) sum += row[k * c.step];
        taps += c.taps;
      } while (qi_window_cursor_next(&c));
    }
    if (taps != 0 && count_include_pad) {
      taps = 1;
      for (size_t a = 0; a < g->dims; a++) taps *= padded_taps(g, a, o[a]);
    }
    output[i] = taps ? sum / (float)taps : 0.0f;
    qi_windownd_step(g->dims, g->out, o);
  }
}
