#include <assert.h>
#include <float.h>
#include <stdint.h>

#include "kernels/f32-pool/f32-pool.h"

void qi_f32_maxpool_ukernel_nd__scalar(const qi_windownd *g, const float *input, float *output, int64_t *indices,
                                       int64_t index_base, bool column_major) {
  assert(g && input && output);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t count = qi_windownd_out_size(g);
  for (size_t i = 0; i < count; i++) {
    float best = -FLT_MAX; /* as the 2-D kernel and ONNX Runtime: NaN taps never win */
    size_t arg = SIZE_MAX;
    qi_window_cursor c;
    if (qi_window_cursor_start(&c, g, o)) {
      arg = c.offset;
      do {
        const float *row = input + c.offset;
        for (size_t k = 0; k < c.taps; k++) {
          const float v = row[k * c.step];
          if (v > best) best = v, arg = c.offset + k * c.step;
        }
      } while (qi_window_cursor_next(&c));
    }
    output[i] = best;
    if (indices)
      indices[i] = arg == SIZE_MAX ? -1
                                   : index_base + (int64_t)(column_major ? qi_windownd_column_major(g, arg) : arg);
    qi_windownd_step(g->dims, g->out, o);
  }
}
