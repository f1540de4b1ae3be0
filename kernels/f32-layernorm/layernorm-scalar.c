#include <assert.h>
#include <math.h>

#include "kernels/f32-layernorm/layernorm.h"

void qi_f32_layernorm_ukernel__scalar(size_t n, const float *x, const float *scale, const float *bias, float eps,
                                      float *y, float *mean, float *inv_std) {
  assert(n > 0 && x != NULL && scale != NULL && y != NULL && mean != NULL && inv_std != NULL);
  float m, var;
  qi_f32_rmeanvar_ukernel__scalar(n, x, &m, &var);
  const float r = 1.0f / sqrtf(var + eps);
  if (bias) {
    for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) * r * scale[i] + bias[i];
  } else {
    for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) * r * scale[i];
  }
  *mean = m;
  *inv_std = r;
}
