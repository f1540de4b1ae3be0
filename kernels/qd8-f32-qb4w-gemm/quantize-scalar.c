/* qi_qd8_quantize_row__scalar: the activation rule of qd8-f32-qb4w-gemm.h in portable C, operation for operation
 * what the SIMD rows compute, so every path gives the same bytes for finite inputs. */
#include "kernels/qd8-f32-qb4w-gemm/code.h"
#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

void qi_qd8_quantize_row__scalar(size_t k, size_t bl, const float *a, int8_t *q, float *scale, int32_t *sum) {
  assert(k >= 1 && bl >= 1 && a != NULL && q != NULL && scale != NULL && sum != NULL);
  for (size_t k0 = 0, b = 0; k0 < k; k0 += bl, b++) {
    const size_t len = k - k0 < bl ? k - k0 : bl;
    float amax = 0.0f;
    for (size_t i = 0; i < len; i++) {
      const float v = fabsf(a[k0 + i]);
      amax = amax > v ? amax : v;
    }
    scale[b] = amax / 127.0f;
    const float inv = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t s = 0;
    for (size_t i = 0; i < bl; i++) {
      const int8_t v = i < len ? qi_qd8_code(a[k0 + i] * inv) : 0;
      q[k0 + i] = v;
      s += v;
    }
    sum[b] = s;
  }
}
