#include <assert.h>
#include <math.h>

#include "kernels/f32-reduce/reduce.h"

void qi_f32_rsumexp_ukernel__scalar(size_t n, const float *x, const float *m, float *y) {
  assert(x != NULL && m != NULL && y != NULL);
  const float offset = *m;
  float acc = 0.0f;
  for (size_t i = 0; i < n; i++) acc += expf(x[i] - offset);
  *y += acc;
}

void qi_f32_rdsumexp_ukernel__scalar(size_t rows, size_t channels, const float *x, size_t x_stride,
                                     const float *m, float *y) {
  assert(x != NULL && m != NULL && y != NULL);
  for (size_t r = 0; r < rows; r++, x += x_stride)
    for (size_t c = 0; c < channels; c++) y[c] += expf(x[c] - m[c]);
}
