#include "kernels/f32-gemm-qb4w/scalar-dequant.h"

enum { MR = 4, NR = 4 };

/* The panel's MR rows against cols (<= NR) columns of B: per k, the MR weights dequantized, then MR x cols
 * multiply-adds; mr rows stored (the panel's rows past M are zero weights). Never reads B past kc rows. */
static void tile_w(size_t mr, size_t cols, size_t kc, size_t bl, const uint8_t *restrict w, const float *restrict b,
                   size_t b_stride, float *restrict c, size_t c_stride, float vmin, float vmax) {
  float acc[MR][NR];
  const float *bias = (const float *)(const void *)w;
  for (size_t r = 0; r < MR; r++)
    for (size_t j = 0; j < NR; j++) acc[r][j] = bias[r];
  w += MR * sizeof(float);
  for (size_t k0 = 0; k0 < kc; k0 += bl, w += qi_f32_gemm_qb4w_block_bytes(MR, bl)) {
    const qb4w_block_view blk = qb4w_block_at(w, MR);
    const size_t kb = kc - k0 < bl ? kc - k0 : bl;
    for (size_t kk = 0; kk < kb; kk++) {
      const float *b_row = b + (k0 + kk) * b_stride;
      for (size_t r = 0; r < MR; r++) {
        const float wr = qb4w_weight(&blk, MR, r, kk);
        for (size_t j = 0; j < cols; j++) acc[r][j] += wr * b_row[j];
      }
    }
  }
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < cols; j++) c[r * c_stride + j] = qb4w_clamp(acc[r][j], vmin, vmax);
}

void qi_f32_qb4w_gemm_minmax_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, const void *restrict packed_w,
                                                 const float *restrict b, size_t b_stride, float *restrict c,
                                                 size_t c_stride, const qi_f32_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR);
  assert(nc >= 1 && kc >= 1);
  assert(packed_w != NULL && b != NULL && c != NULL && params != NULL);
  assert(params->bl >= QI_F32_QB4W_GROUP && params->bl % QI_F32_QB4W_GROUP == 0);
  assert(mr == 1 || c_stride >= nc);
  for (; nc != 0; b += NR, c += NR) {
    const size_t cols = nc < NR ? nc : NR;
    tile_w(mr, cols, kc, params->bl, packed_w, b, b_stride, c, c_stride, params->minmax.min, params->minmax.max);
    nc -= cols;
  }
}
