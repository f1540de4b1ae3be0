/* ARMv8.2 dot product (sdot; Cortex-A55 / A76, Raspberry Pi 5): 8 rows x 8 columns, k-block 4, int8 weights,
 * int8-domain activations (uint8 tensors XORed on packing). The products: kernels/qu8-gemm/dot-8x8c4-neondot.h. */
#include "kernels/qu8-gemm/dot-8x8c4-neondot.h"
#include "kernels/qu8-gemm/store-x8-neon.h"

#define MR 8
#define NR 8
#define KR 4

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                         const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                         size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kb_count = qi_qu8_round_up(kc, KR) / KR;
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * KR * kb_count) {
    int32x4_t acc[MR][2];
    QI_QU8_GEMM_DOT_8X8C4__NEONDOT(acc, (const int8_t *)panel.w, packed_x, kb_count);
    qi_qu8_store_x8_neon(acc, mr, n0, nc - n0 < NR ? nc - n0 : NR, panel.bias, panel.scale,
                         c + n0 * c_col_stride, c_row_stride, c_col_stride, params);
  }
}
