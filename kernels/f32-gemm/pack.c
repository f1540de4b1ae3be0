#include "kernels/f32-gemm/f32-gemm.h"

/* Layout: see f32-gemm.h. Portable code shared by every ISA (packing runs once, at prepare time). */
void qi_f32_gemm_pack_w(size_t m, size_t k, size_t mr, size_t kr, const float *w, size_t w_m_stride,
                        size_t w_k_stride, const float *bias, float *packed) {
  assert(m >= 1 && k >= 1 && mr >= 1 && kr >= 1);
  assert(w != NULL && packed != NULL);
  const size_t k_padded = qi_round_up(k, kr);
  if (kr == 1) { /* every current kernel: per k, the panel's mr weights; no test per element */
    for (size_t row0 = 0; row0 < m; row0 += mr) {
      const size_t rows = m - row0 < mr ? m - row0 : mr;
      for (size_t r = 0; r < mr; r++) *packed++ = (bias && r < rows) ? bias[row0 + r] : 0.0f;
      const float *w0 = w + row0 * w_m_stride;
      for (size_t col = 0; col < k; col++, packed += mr) {
        for (size_t r = 0; r < rows; r++) packed[r] = w0[r * w_m_stride + col * w_k_stride];
        for (size_t r = rows; r < mr; r++) packed[r] = 0.0f;
      }
    }
    return;
  }
  for (size_t row0 = 0; row0 < m; row0 += mr) {
    for (size_t r = 0; r < mr; r++) *packed++ = (bias && row0 + r < m) ? bias[row0 + r] : 0.0f;
    for (size_t kb = 0; kb < k_padded; kb += kr) {
      for (size_t r = 0; r < mr; r++) {
        for (size_t j = 0; j < kr; j++) {
          const size_t row = row0 + r, col = kb + j;
          *packed++ = (row < m && col < k) ? w[row * w_m_stride + col * w_k_stride] : 0.0f;
        }
      }
    }
  }
}
