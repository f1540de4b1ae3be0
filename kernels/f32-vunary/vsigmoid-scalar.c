#include <assert.h>
#include <math.h>

#include "kernels/f32-vunary/vunary.h"

/* exp of a non-positive argument only, so neither branch overflows. */
void qi_f32_vsigmoid_ukernel__scalar(size_t n, const float *x, float *y, const qi_f32_unary_params *params) {
  assert(x != NULL && y != NULL);
  (void)params;
  for (size_t i = 0; i < n; i++) {
    const float e = expf(-fabsf(x[i]));
    const float s = 1.0f / (1.0f + e);
    y[i] = x[i] >= 0.0f ? s : e * s;
  }
}
