#include <assert.h>

#include "kernels/f32-vunary/vunary.h"

/* min(max(x, lo), hi), so lo > hi yields hi as in numpy.clip; NaN passes through. */
void qi_f32_vclamp_ukernel__scalar(size_t n, const float *x, float *y, const qi_f32_unary_params *params) {
  assert(x != NULL && y != NULL);
  assert(params != NULL);
  const float lo = params->min, hi = params->max;
  for (size_t i = 0; i < n; i++) {
    float v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}
