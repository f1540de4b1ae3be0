#include <assert.h>
#include <math.h>

#include "kernels/f32-vbinary/vbinary.h"

void qi_f32_vpow_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  for (size_t i = 0; i < n; i++) y[i] = powf(a[i], b[i]);
}

void qi_f32_vpowc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  if (c == 2.0f) { /* x^2 dominates in models (variance, L2 norms): exact and far cheaper than powf */
    for (size_t i = 0; i < n; i++) y[i] = a[i] * a[i];
    return;
  }
  for (size_t i = 0; i < n; i++) y[i] = powf(a[i], c);
}

void qi_f32_vrpowc_ukernel__scalar(size_t n, const float *a, const float *b, float *y) {
  assert(a != NULL && b != NULL && y != NULL);
  const float c = b[0];
  for (size_t i = 0; i < n; i++) y[i] = powf(c, a[i]);
}
