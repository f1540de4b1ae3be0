#include "kernels/f32-gemm/f32-gemm.h"

enum { MR = 4, NR = 8 };

/* GCC's loop vectorizer takes the K loop below (A and the panel both advance by a constant step) and turns it
 * into shuffles and spilled accumulators, at a quarter of the speed of plain basic-block vectorization of the NR
 * columns, which is what the 4x8 wx kernel gets (its B stride is a runtime value). tile_xw is compiled without
 * it; GCC then clones it for each constant row count of the switch below (it does not inline across differing
 * optimize attributes, and inlined copies of the K loop spill). */
#if defined(__GNUC__) && !defined(__clang__)
#define QI_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define QI_NO_LOOP_VECTORIZE
#endif

/* One rows x NR output tile (rows = mr <= MR, a constant at every call site: see the switch below): rows of A against one packed NR-column panel of W, nc_tile <= NR
 * valid columns stored. Only the mr rows are read (A is not padded, unlike the packed W) and multiplied, so an
 * M = 1 vector x matrix product does 1 x NR multiply-adds per step, not MR x NR. The panel's columns past N are
 * zeros: the K loop always does rows x NR multiply-adds and only the store is trimmed. Each output is its bias
 * plus the products summed over k in increasing order, whatever rows and nc_tile are. */
QI_KERNEL_ALIGN QI_NO_LOOP_VECTORIZE static void tile_xw(size_t rows, size_t nc_tile, size_t kc, const float *restrict a,
                                         size_t a_stride, const float *restrict w, float *restrict c,
                                         size_t c_stride, float vmin, float vmax) {
  float acc[MR][NR];
  const float *a_row[MR];
  for (size_t r = 0; r < rows; r++) {
    a_row[r] = a + r * a_stride;
    for (size_t j = 0; j < NR; j++) acc[r][j] = w[j];
  }
  w += NR;
  for (size_t k = 0; k < kc; k++) {
    float wk[NR], ak[MR]; /* row k of the panel, times one broadcast value of A per row */
    for (size_t j = 0; j < NR; j++) wk[j] = w[j];
    for (size_t r = 0; r < rows; r++) ak[r] = *a_row[r]++;
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < NR; j++) acc[r][j] += ak[r] * wk[j];
    w += NR;
  }
  for (size_t r = 0; r < rows; r++) {
    float *c_row = c + r * c_stride;
    for (size_t j = 0; j < nc_tile; j++) {
      float v = acc[r][j];
      v = v < vmin ? vmin : v;
      v = v > vmax ? vmax : v;
      c_row[j] = v;
    }
  }
}

/* Walks the NR-column panels of W covering nc columns (KR = 1: a panel is NR * (1 + K) floats). */
static inline void panels_xw(size_t rows, size_t nc, size_t kc, const float *restrict a, size_t a_stride,
                             const float *restrict w, float *restrict c, size_t c_stride, float vmin, float vmax) {
  const size_t panel = qi_f32_gemm_panel_floats(kc, NR, 1);
  for (; nc >= NR; nc -= NR, w += panel, c += NR) tile_xw(rows, NR, kc, a, a_stride, w, c, c_stride, vmin, vmax);
  if (nc != 0) tile_xw(rows, nc, kc, a, a_stride, w, c, c_stride, vmin, vmax);
}

QI_KERNEL_ALIGN void qi_f32_gemm_xw_minmax_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float *restrict a,
                                               size_t a_stride, const float *restrict packed_w, float *restrict c,
                                               size_t c_stride, const qi_f32_minmax_params *params) {
  assert(mr >= 1 && mr <= MR);
  assert(nc >= 1 && kc >= 1);
  assert(a != NULL && packed_w != NULL && c != NULL && params != NULL);
  assert(mr == 1 || (a_stride >= kc && c_stride >= nc));
  const float vmin = params->min, vmax = params->max;
  switch (mr) { /* constant row counts: tile_xw's row loops unroll */
    case 1: panels_xw(1, nc, kc, a, a_stride, packed_w, c, c_stride, vmin, vmax); break;
    case 2: panels_xw(2, nc, kc, a, a_stride, packed_w, c, c_stride, vmin, vmax); break;
    case 3: panels_xw(3, nc, kc, a, a_stride, packed_w, c, c_stride, vmin, vmax); break;
    default: panels_xw(MR, nc, kc, a, a_stride, packed_w, c, c_stride, vmin, vmax); break;
  }
}
