#include <assert.h>

#include "kernels/qu8-quantize/qu8-quantize.h"

void qi_qu8_dequantize_ukernel__scalar(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  const float scale = p->scale;
  const int32_t zp = p->zero_point;
  const uint8_t flip = p->sign_flip;
  for (size_t i = 0; i < n; i++) y[i] = (float)((int32_t)(uint8_t)(x[i] ^ flip) - zp) * scale;
}
