#include "kernels/f32-gemm/f32-gemm.h"

enum { MR = 4, NR = 8 };

/* One MR x NR output tile (nc_tile <= NR valid columns). The accumulators are a fixed-size array indexed by
 * constants after unrolling, so the compiler keeps them in registers; the K loop reads MR weights and NR
 * values of B per step and does MR * NR multiply-adds. */
static inline void tile_4x8(size_t mr, size_t nc_tile, size_t kc, const float *restrict w, const float *restrict b,
                            size_t b_stride, float *restrict c, size_t c_stride, float vmin, float vmax) {
  float acc[MR][NR];
  for (size_t r = 0; r < MR; r++)
    for (size_t j = 0; j < NR; j++) acc[r][j] = w[r];
  w += MR;

  if (nc_tile == NR) {
    for (size_t k = 0; k < kc; k++) {
      float bk[NR];
      for (size_t j = 0; j < NR; j++) bk[j] = b[j];
      for (size_t r = 0; r < MR; r++) {
        const float wr = w[r];
        for (size_t j = 0; j < NR; j++) acc[r][j] += wr * bk[j];
      }
      w += MR;
      b += b_stride;
    }
  } else {
    for (size_t k = 0; k < kc; k++) {
      float bk[NR] = {0};
      for (size_t j = 0; j < nc_tile; j++) bk[j] = b[j];
      for (size_t r = 0; r < MR; r++) {
        const float wr = w[r];
        for (size_t j = 0; j < NR; j++) acc[r][j] += wr * bk[j];
      }
      w += MR;
      b += b_stride;
    }
  }

  for (size_t r = 0; r < mr; r++) {
    float *c_row = c + r * c_stride;
    for (size_t j = 0; j < nc_tile; j++) {
      float v = acc[r][j];
      v = v < vmin ? vmin : v;
      v = v > vmax ? vmax : v;
      c_row[j] = v;
    }
  }
}

void qi_f32_gemm_minmax_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *restrict packed_w,
                                            const float *restrict b, size_t b_stride, float *restrict c,
                                            size_t c_stride, const qi_f32_minmax_params *params) {
  assert(mr >= 1 && mr <= MR);
  assert(nc >= 1 && kc >= 1);
  assert(packed_w != NULL && b != NULL && c != NULL && params != NULL);
  assert(mr == 1 || c_stride >= nc);
  const float vmin = params->min, vmax = params->max;
  while (nc >= NR) {
    tile_4x8(mr, NR, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
    b += NR;
    c += NR;
    nc -= NR;
  }
  if (nc != 0) tile_4x8(mr, nc, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
}
