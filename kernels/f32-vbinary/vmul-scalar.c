#include <assert.h>

#include "kernels/f32-vbinary/vbinary.h"

void qi_f32_vmul_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  for (size_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

void qi_f32_vmulc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = a[i] * c;
}
