#include <assert.h>

#include "kernels/qu8-gemm-i32/qu8-gemm-i32.h"

void qi_qu8_x8w_gemm_i32_ukernel_1x1__scalar(size_t m, size_t n, size_t k, const uint8_t *x, size_t x_stride,
                                            int32_t x_zero_point, const uint8_t *w, size_t w_stride, bool w_signed,
                                            int32_t *c, size_t c_stride) {
  assert(k <= QI_QU8_GEMM_I32_MAX_K && (m == 0 || n == 0 || (x && w && c)));
  for (size_t r = 0; r < m; r++) {
    int32_t *cr = c + r * c_stride;
    for (size_t j = 0; j < n; j++) cr[j] = 0;
    for (size_t kk = 0; kk < k; kk++) { /* along weight rows: contiguous */
      const int32_t a = (int32_t)x[r * x_stride + kk] - x_zero_point;
      const uint8_t *wk = w + kk * w_stride;
      if (w_signed)
        for (size_t j = 0; j < n; j++) cr[j] += a * (int32_t)(int8_t)wk[j];
      else
        for (size_t j = 0; j < n; j++) cr[j] += a * (int32_t)wk[j];
    }
  }
}
