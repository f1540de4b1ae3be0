#include "kernels/f32-gemm-qb4w/scalar-dequant.h"

enum { MR = 4, NR = 4 };

/* rows (<= MR) rows of A against one packed NR-column panel: per k, the NR weights dequantized once, then
 * rows x NR multiply-adds; cols (<= NR) columns stored. Never reads A past kc. */
static void tile_xw(size_t rows, size_t cols, size_t kc, size_t bl, const float *restrict a, size_t a_stride,
                    const uint8_t *restrict w, float *restrict c, size_t c_stride, float vmin, float vmax) {
  float acc[MR][NR];
  const float *bias = (const float *)(const void *)w;
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < NR; j++) acc[r][j] = bias[j];
  w += NR * sizeof(float);
  for (size_t k0 = 0; k0 < kc; k0 += bl, w += qi_f32_gemm_qb4w_block_bytes(NR, bl)) {
    const qb4w_block_view blk = qb4w_block_at(w, NR);
    const size_t kb = kc - k0 < bl ? kc - k0 : bl;
    for (size_t kk = 0; kk < kb; kk++) {
      float wk[NR];
      for (size_t j = 0; j < NR; j++) wk[j] = qb4w_weight(&blk, NR, j, kk);
      for (size_t r = 0; r < rows; r++) {
        const float ar = a[r * a_stride + k0 + kk];
        for (size_t j = 0; j < NR; j++) acc[r][j] += ar * wk[j];
      }
    }
  }
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < cols; j++) c[r * c_stride + j] = qb4w_clamp(acc[r][j], vmin, vmax);
}

void qi_f32_qb4w_gemm_xw_minmax_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const float *restrict a,
                                                    size_t a_stride, const void *restrict packed_w,
                                                    float *restrict c, size_t c_stride,
                                                    const qi_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR);
  assert(nc >= 1 && kc >= 1);
  assert(a != NULL && packed_w != NULL && c != NULL && params != NULL);
  assert(params->bl >= QI_F32_QB4W_GROUP && params->bl % QI_F32_QB4W_GROUP == 0);
  assert(mr == 1 || (a_stride >= kc && c_stride >= nc));
  const uint8_t *w = packed_w;
  const size_t panel = qi_f32_gemm_qb4w_panel_bytes(NR, kc, params->bl);
  for (; nc != 0; w += panel, c += NR) {
    const size_t cols = nc < NR ? nc : NR;
    tile_xw(mr, cols, kc, params->bl, a, a_stride, w, c, c_stride, params->minmax.min, params->minmax.max);
    nc -= cols;
  }
}
