#include <assert.h>

#include "kernels/s8-maxpool/s8-maxpool.h"

void qi_s8_maxpool_ukernel_nd__scalar(const qi_windownd *g, const int8_t *input, int8_t *output, int64_t *indices,
                                      int64_t index_base, bool column_major) {
  assert(g && input && output);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t count = qi_windownd_out_size(g);
  for (size_t i = 0; i < count; i++) {
    int8_t best = INT8_MIN;
    size_t arg = SIZE_MAX;
    qi_window_cursor c;
    if (qi_window_cursor_start(&c, g, o)) {
      best = input[c.offset];
      arg = c.offset;
      do {
        const int8_t *row = input + c.offset;
        for (size_t k = 0; k < c.taps; k++) {
          const int8_t v = row[k * c.step];
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
