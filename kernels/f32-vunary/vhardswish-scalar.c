#include <assert.h>

#include "kernels/f32-vunary/vunary.h"

void qi_f32_vhardswish_ukernel__scalar(size_t n, const float *x, float *y, const qi_f32_unary_params *params) {
  assert(x != NULL && y != NULL);
  (void)params;
  for (size_t i = 0; i < n; i++) {
    const float v = x[i] * (1.0f / 6.0f) + 0.5f;
    y[i] = x[i] * (v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v));
  }
}
