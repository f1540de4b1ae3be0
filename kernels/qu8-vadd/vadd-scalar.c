#include <assert.h>
#include <math.h>

#include "kernels/qu8-vadd/qu8-vadd.h"

void qi_qu8_vadd_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                        const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  for (size_t i = 0; i < n; i++) y[i] = qi_qu8_add_one(qi_qu8_add_value(a[i], p), qi_qu8_add_value(b[i], p), NAN, p);
}

void qi_qu8_vaddc_minmax_ukernel__scalar(size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y,
                                         const qi_qu8_add_params *p) {
  assert(n == 0 || (a != NULL && b != NULL && y != NULL));
  const int32_t vb = qi_qu8_add_value(b[0], p);
  const float fixed_b = qi_qu8_add_fixed_b(vb, p);
  for (size_t i = 0; i < n; i++) y[i] = qi_qu8_add_one(qi_qu8_add_value(a[i], p), vb, fixed_b, p);
}
