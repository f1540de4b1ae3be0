#include <assert.h>

#include "kernels/f32-vbinary/vbinary.h"

void qi_f32_vprelu_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  for (size_t i = 0; i < n; i++) y[i] = a[i] < 0.0f ? a[i] * b[i] : a[i];
}

void qi_f32_vpreluc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = a[i] < 0.0f ? a[i] * c : a[i];
}

void qi_f32_vrpreluc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = c < 0.0f ? c * a[i] : c;
}
