#include <assert.h>

#include "kernels/u8-maxpool/u8-maxpool.h"

void qi_u8_maxpool_ukernel_nd__scalar(const qi_windownd *g, const uint8_t *input, uint8_t *output, int64_t *indices,
                                      int64_t index_base, bool column_major) {
  assert(g && input && output);
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  size_t o[QI_WINDOW_MAX_DIMS] = {0};
  const size_t count = qi_windownd_out_size(g);
  for (size_t i = 0; i < count; i++) {
    uint8_t best = 0;
    size_t arg = SIZE_MAX;
    qi_window_cursor c;
    if (qi_window_cursor_start(&c, g, o)) {
      best = input[c.offset];
      arg = c.offset;
      do {
        const uint8_t *row = input + c.offset;
        for (size_t k = 0; k < c.taps; k++) {
          const uint8_t v = row[k * c.step];
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
