/* The per-run weight packer: an activation tensor as the packed left operand (engine/ops/quant_matmul.c, the
 * product of two activations). Same panels as qi_qu8_gemm_pack_w (kernels/qu8-gemm/qu8-gemm.h), from contiguous
 * rows of bytes read through an XOR and one scale for every row, without the strided, per-row-parameter walk of
 * the weight packer: it runs once per product, not once per session. */
#include <string.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

void qi_qu8_gemm_pack_w_rows(const qi_qu8_gemm_config *cfg, size_t m, size_t k, const uint8_t *w, size_t row_stride,
                             uint8_t w_flip, float scale, int32_t x_zero_point, void *packed) {
  const size_t mr = cfg->mr, kr = cfg->kr, w_bytes = cfg->w_bytes;
  assert(m >= 1 && k >= 1 && k <= QI_QU8_GEMM_MAX_K && mr >= 1 && kr >= 1 && w && packed);
  assert((w_bytes == 1 || w_bytes == 2) && x_zero_point >= -128 && x_zero_point <= 255);
  const size_t panel = qi_qu8_gemm_panel_bytes(k, mr, kr, w_bytes), block = mr * kr;
  uint8_t *dst = packed;
  for (size_t p0 = 0; p0 < m; p0 += mr, dst += panel) {
    const size_t rows = m - p0 < mr ? m - p0 : mr;
    int32_t *pb = (int32_t *)(void *)dst;
    float *ps = (float *)(void *)(dst + mr * sizeof(int32_t));
    uint8_t *pw = dst + 2 * mr * sizeof(int32_t);
    memset(dst, 0, panel); /* rows past m and k past K read as 0 */
    for (size_t r = 0; r < rows; r++) ps[r] = scale;
    for (size_t r = 0; r < rows; r++) {
      const uint8_t *row = w + (p0 + r) * row_stride;
      int32_t sum = 0;
      if (w_bytes == 2) {
        int16_t *d = (int16_t *)(void *)pw + r * kr;
        for (size_t j0 = 0; j0 < k; j0 += kr, d += block)
          for (size_t i = 0; i < kr && j0 + i < k; i++) sum += d[i] = (int8_t)(row[j0 + i] ^ w_flip);
      } else {
        int8_t *d = (int8_t *)pw + r * kr;
        for (size_t j0 = 0; j0 < k; j0 += kr, d += block)
          for (size_t i = 0; i < kr && j0 + i < k; i++) sum += d[i] = (int8_t)(row[j0 + i] ^ w_flip);
      }
      /* |sum| <= 128 * 65536: x_zero_point * sum fits int64; int32 wrapping as the kernels accumulate */
      pb[r] = (int32_t)(0u - (uint32_t)((int64_t)x_zero_point * sum));
    }
  }
}
