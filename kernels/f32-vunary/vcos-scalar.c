#include <assert.h>
#include <math.h>

#include "kernels/f32-vunary/vunary.h"

void qi_f32_vcos_ukernel__scalar(size_t n, const float *x, float *y, const qi_f32_unary_params *params) {
  assert(x != NULL && y != NULL);
  (void)params;
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = cosf(v);
  }
}
