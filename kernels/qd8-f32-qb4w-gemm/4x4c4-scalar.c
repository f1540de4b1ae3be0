/* The portable qd8 x qb4w kernel: per panel of 4 columns and block, int32 dot products of the row's codes with
 * the nibbles, the zero point folded as z * a_sum, then f = f + (float)d * (a_scale * w_scale), two roundings
 * (-ffp-contract=off). */
#include <string.h>

#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

#define MR 4
#define NR 4

void qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x4c4__scalar(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                                       size_t a_stride, const float *a_scale, const int32_t *a_sum,
                                                       size_t ap_stride, const void *packed_w, float *c,
                                                       size_t c_stride, const qi_qd8_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1);
  assert(a && a_scale && a_sum && packed_w && c && params);
  const size_t bl = params->bl, nb = (kc + bl - 1) / bl;
  assert(bl >= QI_QD8_QB4W_GROUP && bl % QI_QD8_QB4W_GROUP == 0);
  const uint8_t *w = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += NR) {
    float f[MR][NR], bias[NR];
    memcpy(bias, w, sizeof bias);
    for (size_t r = 0; r < MR; r++)
      for (size_t j = 0; j < NR; j++) f[r][j] = bias[j];
    w += NR * sizeof(float);
    for (size_t b = 0; b < nb; b++, w += qi_qd8_f32_qb4w_block_bytes(NR, bl)) {
      float ws[NR];
      int32_t z[NR];
      memcpy(ws, w, sizeof ws);
      memcpy(z, w + NR * sizeof(float), sizeof z);
      const uint8_t *u = w + NR * (sizeof(float) + sizeof(int32_t));
      for (size_t r = 0; r < mr; r++) {
        const int8_t *x = a + r * a_stride + b * bl;
        const int32_t asum = a_sum[r * ap_stride + b];
        const float as = a_scale[r * ap_stride + b];
        for (size_t j = 0; j < NR; j++) {
          int32_t d = 0;
          for (size_t g = 0; g < bl / QI_QD8_QB4W_GROUP; g++)
            for (size_t i = 0; i < QI_QD8_QB4W_GROUP; i++) {
              const uint8_t byte = u[(g * NR + j) * 4 + i % 4];
              d += (int32_t)x[g * QI_QD8_QB4W_GROUP + i] * (int32_t)((byte >> (i / 4 * 4)) & 15);
            }
          d -= z[j] * asum;
          f[r][j] = f[r][j] + (float)d * (as * ws[j]);
        }
      }
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < cols; j++) {
        float y = f[r][j] < params->min ? params->min : f[r][j];
        c[r * c_stride + n0 + j] = y > params->max ? params->max : y;
      }
  }
}
