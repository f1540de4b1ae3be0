/* Plain NEON, aarch64 and armv7 (NEON + VFPv4, Cortex-A7 / A53 in 32-bit mode): 4 rows x 8 columns, k-block 1,
 * int16 weights; 8 int32x4 accumulators, which leave room in armv7's 16 q registers for the operands. The
 * products: kernels/qu8-gemm/dot-x8c1-neon.h. */
#include "kernels/qu8-gemm/dot-x8c1-neon.h"
#include "kernels/qu8-gemm/store-x8-neon.h"

#define MR 4
#define NR 8

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x8c1__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                      const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                      size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kc) {
    int32x4_t acc[MR][2];
    QI_QU8_GEMM_DOT_4X8C1__NEON(acc, panel.w, packed_x, kc);
    qi_qu8_store_x8_neon(acc, mr, n0, nc - n0 < NR ? nc - n0 : NR, panel.bias, panel.scale,
                         c + n0 * c_col_stride, c_row_stride, c_col_stride, params);
  }
}
