#include <assert.h>

#include "kernels/qu8-vadd/qu8-vadd.h"

void qi_qu8_vadd_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                        const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const uint8_t flip = p->sign_flip;
  for (size_t i = 0; i < n; i++) y[i] = (uint8_t)(qi_qu8_add_one(a[i] ^ flip, b[i] ^ flip, p) ^ flip);
}

void qi_qu8_vaddc_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                         const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const uint8_t flip = p->sign_flip;
  const int32_t vb = b[0] ^ flip;
  for (size_t i = 0; i < n; i++) y[i] = (uint8_t)(qi_qu8_add_one(a[i] ^ flip, vb, p) ^ flip);
}
