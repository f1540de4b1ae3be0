#include <assert.h>

#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/requant.h"

void qi_qu8_quantize_ukernel__scalar(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  const float scale = p->scale;
  const int32_t zp = p->zero_point, qmin = p->qmin, qmax = p->qmax;
  const uint8_t flip = p->sign_flip;
  for (size_t i = 0; i < n; i++) y[i] = (uint8_t)(qi_quantize_f32(x[i], scale, zp, qmin, qmax) ^ flip);
}
