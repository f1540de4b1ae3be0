#include <assert.h>
#include <math.h>

#include "kernels/f32-softmax/softmax.h"

static float row_max(size_t n, const float *x) {
  float m = x[0];
  for (size_t i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

void qi_f32_softmax_ukernel__scalar(size_t n, const float *x, float *y) {
  assert(n > 0 && x != NULL && y != NULL);
  const float m = row_max(n, x);
  float sum = 0.0f;
  for (size_t i = 0; i < n; i++) {
    const float e = expf(x[i] - m);
    y[i] = e;
    sum += e;
  }
  const float scale = 1.0f / sum;
  for (size_t i = 0; i < n; i++) y[i] *= scale;
}

void qi_f32_logsoftmax_ukernel__scalar(size_t n, const float *x, float *y) {
  assert(n > 0 && x != NULL && y != NULL);
  const float m = row_max(n, x);
  float sum = 0.0f;
  for (size_t i = 0; i < n; i++) sum += expf(x[i] - m);
  const float shift = m + logf(sum);
  for (size_t i = 0; i < n; i++) y[i] = x[i] - shift;
}
