#include <assert.h>

#include "kernels/f32-reduce/reduce.h"

/* Four partial accumulators: independent operations and shorter rounding chains. */
void qi_f32_rprod_ukernel__scalar(size_t n, const float *x, float *y) {
  assert(x != NULL && y != NULL);
  float a0 = 1.0f, a1 = 1.0f, a2 = 1.0f, a3 = 1.0f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 *= x[i + 0];
    a1 *= x[i + 1];
    a2 *= x[i + 2];
    a3 *= x[i + 3];
  }
  for (; i < n; i++) a0 *= x[i];
  *y *= (a0 * a1) * (a2 * a3);
}

void qi_f32_rdprod_ukernel__scalar(size_t rows, size_t channels, const float *x, size_t x_stride, float *y) {
  assert(x != NULL && y != NULL);
  for (size_t r = 0; r < rows; r++, x += x_stride)
    for (size_t c = 0; c < channels; c++) {
      const float v = x[c];
      y[c] *= v;
    }
}
