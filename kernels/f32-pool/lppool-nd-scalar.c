#include <assert.h>
#include <math.h>

#include "kernels/f32-pool/f32-pool.h"

void qi_f32_lppool_ukernel_nd__scalar(const qi_windownd *g, float p, const float *input, float *output) {
  assert(g && input && output && p > 0.0f);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t count = qi_windownd_out_size(g);
  for (size_t i = 0; i < count; i++) {
    float sum = 0.0f;
    qi_window_cursor c;
    if (qi_window_cursor_start(&c, g, o)) {
      do {
        const float *row = input + c.offset;
        for (size_t k = 0; k < c.taps; k++) {
          const float v = fabsf(row[k * c.step]);
          sum += p == 2.0f ? v * v : (p == 1.0f ? v : powf(v, p));
        }
      } while (qi_window_cursor_next(&c));
    }
    output[i] = p == 2.0f ? sqrtf(sum) : (p == 1.0f ? sum : powf(sum, 1.0f / p));
    qi_windownd_step(g->dims, g->out, o);
  }
}
