#include "kernels/f32-gemm/f32-gemm.h"

enum { MR = 4, NR = 8 };

/* One tile_rows x NR output tile of an MR-row panel (nc_tile <= NR valid columns, mr <= tile_rows rows stored).
 * The accumulators are a fixed-size array indexed by constants after unrolling, so the compiler keeps them in
 * registers; the K loop reads tile_rows weights and NR values of B per step and does tile_rows * NR
 * multiply-adds. tile_rows is MR, or 1 for a single-row panel (M = 1, vector x matrix): that reads only the
 * panel's first row and skips the multiply-adds of its three zero rows. Each output is computed in the same
 * order either way. */
static inline void tile_4x8(size_t tile_rows, size_t mr, size_t nc_tile, size_t kc, const float *restrict w,
                            const float *restrict b, size_t b_stride, float *restrict c, size_t c_stride, float vmin,
                            float vmax) {
  float acc[MR][NR];
  for (size_t r = 0; r < tile_rows; r++)
    for (size_t j = 0; j < NR; j++) acc[r][j] = w[r];
  w += MR;

  if (nc_tile == NR) {
    for (size_t k = 0; k < kc; k++) {
      float bk[NR];
      for (size_t j = 0; j < NR; j++) bk[j] = b[j];
      for (size_t r = 0; r < tile_rows; r++) {
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
      for (size_t r = 0; r < tile_rows; r++) {
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

/* Cache-line aligned, so that the speed of the inner loops does not move with the link layout (a 10% swing on
 * resnet18 from code added elsewhere in the library). */
QI_KERNEL_ALIGN void qi_f32_gemm_minmax_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *restrict packed_w,
                                            const float *restrict b, size_t b_stride, float *restrict c,
                                            size_t c_stride, const qi_f32_minmax_params *params) {
  assert(mr >= 1 && mr <= MR);
  assert(nc >= 1 && kc >= 1);
  assert(packed_w != NULL && b != NULL && c != NULL && params != NULL);
  assert(mr == 1 || c_stride >= nc);
  const float vmin = params->min, vmax = params->max;
  if (mr == 1) {
    for (; nc >= NR; nc -= NR, b += NR, c += NR) tile_4x8(1, 1, NR, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
    if (nc != 0) tile_4x8(1, 1, nc, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
    return;
  }
  for (; nc >= NR; nc -= NR, b += NR, c += NR) tile_4x8(MR, mr, NR, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
  if (nc != 0) tile_4x8(MR, mr, nc, kc, packed_w, b, b_stride, c, c_stride, vmin, vmax);
}
