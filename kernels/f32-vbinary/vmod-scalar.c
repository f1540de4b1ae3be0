#include <assert.h>
#include <math.h>

#include "kernels/f32-vbinary/vbinary.h"

void qi_f32_vmod_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  for (size_t i = 0; i < n; i++) y[i] = fmodf(a[i], b[i]);
}

void qi_f32_vmodc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = fmodf(a[i], c);
}

void qi_f32_vrmodc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = fmodf(c, a[i]);
}
