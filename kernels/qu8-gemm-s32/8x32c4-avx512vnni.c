/* AVX-512 VNNI: the products of qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x32c4__avx512vnni (vpdpbusd, exact; the loops
 * of kernels/qu8-gemm/dot-8x32c4-avx512vnni.h, a last block of at most 16 columns on half the loads) stored as
 * int32 sums: masked 512-bit stores of 16 columns when the columns are contiguous, else one element at a time. */
#include <immintrin.h>

#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/dot-8x32c4-avx512vnni.h"

#define MR 8
#define NR 32
#define KR 4

/* Stores the first cols (<= 16) sums of v at out, col_stride apart. */
static inline void store16(__m512i v, int32_t *out, size_t cols, size_t col_stride) {
  if (col_stride == 1) {
    _mm512_mask_storeu_epi32(out, (__mmask16)((1u << cols) - 1u), v);
    return;
  }
  int32_t e[16];
  _mm512_storeu_si512(e, v);
  for (size_t j = 0; j < cols; j++) out[j * col_stride] = e[j];
}

void qi_qu8_qc8w_gemm_s32_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                     const uint8_t *packed_x, int32_t *c, size_t c_row_stride,
                                                     size_t c_col_stride) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    int32_t *out = c + n0 * c_col_stride;
    if (cols <= 16) { /* half block */
      __m512i a[MR];
      QI_QU8_GEMM_DOT_8X16C4_HALF__AVX512VNNI(a, panel.bias, panel.w, packed_x, kb_count);
      for (size_t r = 0; r < mr; r++) store16(a[r], out + r * c_row_stride, cols, c_col_stride);
      continue;
    }
    __m512i lo[MR], hi[MR]; /* columns 0..15 and 16..31, biases included */
    QI_QU8_GEMM_DOT_8X32C4__AVX512VNNI(lo, hi, panel.bias, panel.w, packed_x, kb_count);
    for (size_t r = 0; r < mr; r++) {
      int32_t *row = out + r * c_row_stride;
      store16(lo[r], row, 16, c_col_stride);
      store16(hi[r], row + 16 * c_col_stride, cols - 16, c_col_stride);
    }
  }
}
