#include <assert.h>

#include "kernels/f32-reduce/reduce.h"

/* NaN propagates, as in ONNX Runtime. */
void qi_f32_rmax_ukernel__scalar(size_t n, const float *x, float *y) {
  assert(x != NULL && y != NULL);
  float m = *y;
  for (size_t i = 0; i < n; i++) m = x[i] > m || x[i] != x[i] ? x[i] : m;
  *y = m;
}

void qi_f32_rdmax_ukernel__scalar(size_t rows, size_t channels, const float *x, size_t x_stride, float *y) {
  assert(x != NULL && y != NULL);
  for (size_t r = 0; r < rows; r++, x += x_stride)
    for (size_t c = 0; c < channels; c++)
      y[c] = x[c] > y[c] || x[c] != x[c] ? x[c] : y[c];
}
