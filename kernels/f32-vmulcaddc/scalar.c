#include <assert.h>

#include "kernels/f32-vmulcaddc/vmulcaddc.h"

void qi_f32_vmulcaddc_ukernel__scalar(size_t n, const float *x, float scale, float bias, float *y) {
  assert(x != NULL && y != NULL);
  for (size_t i = 0; i < n; i++) y[i] = x[i] * scale + bias;
}
