/* The body of the N-d max pooling kernels, shared by every element type (f32, s8, u8): each kernel file
 * instantiates it once with its type and the type's lowest value. The running max starts at `lowest` and only
 * a strictly larger tap replaces it, so ties keep the first tap in row-major window order (for float, NaN taps
 * never win); a window with no in-bounds tap yields `lowest` and index -1. Indices are offsets in the whole
 * input (index_base + offset in the plane, column-major within the plane when asked). */
#ifndef QI_MAXPOOL_ND_TEMPLATE_H
#define QI_MAXPOOL_ND_TEMPLATE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/f32-im2col/windownd.h"

#define QI_DEFINE_MAXPOOL_ND(name, T, lowest)                                                                  \
  void name(const qi_windownd *g, const T *input, T *output, int64_t *indices, int64_t index_base,           \
            bool column_major) {                                                                               \
    assert(g && input && output);                                                                              \
    assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);                                                     \
    size_t o[QI_WINDOW_MAX_DIMS] = {0};                                                                        \
    const size_t count = qi_windownd_out_size(g);                                                              \
    for (size_t i = 0; i < count; i++) {                                                                       \
      T best = (lowest);                                                                                       \
      size_t arg = SIZE_MAX;                                                                                   \
      qi_window_cursor c;                                                                                      \
      if (qi_window_cursor_start(&c, g, o)) {                                                                  \
        arg = c.offset;                                                                                        \
        do {                                                                                                   \
          const T *row = input + c.offset;                                                                     \
          for (size_t k = 0; k < c.taps; k++) {                                                                \
            const T v = row[k * c.step];                                                                       \
            if (v > best) best = v, arg = c.offset + k * c.step;                                               \
          }                                                                                                    \
        } while (qi_window_cursor_next(&c));                                                                   \
      }                                                                                                        \
      output[i] = best;                                                                                        \
      if (indices)                                                                                             \
        indices[i] = arg == SIZE_MAX                                                                           \
                         ? -1                                                                                  \
                         : index_base + (int64_t)(column_major ? qi_windownd_column_major(g, arg) : arg);      \
      qi_windownd_step(g->dims, g->out, o);                                                                    \
    }                                                                                                          \
  }

#endif /* QI_MAXPOOL_ND_TEMPLATE_H */
