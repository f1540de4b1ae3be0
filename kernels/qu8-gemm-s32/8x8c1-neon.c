/* Plain NEON, aarch64: the products of qi_qu8_qc8w_gemm_minmax_fp32_ukernel_8x8c1__neon
 * (kernels/qu8-gemm/dot-x8c1-neon.h), stored as int32 sums. */
#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/dot-x8c1-neon.h"
#include "kernels/qu8-gemm/store-x8-neon.h"

#if defined(__aarch64__)
#define MR 8
#define NR 8

void qi_qu8_qc8w_gemm_s32_ukernel_8x8c1__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                              const uint8_t *packed_x, int32_t *c, size_t c_row_stride,
                                              size_t c_col_stride) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c);
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kc) {
    int32x4_t acc[MR][2];
    QI_QU8_GEMM_DOT_8X8C1__NEON(acc, panel.w, packed_x, kc);
    qi_qu8_store_x8_s32_neon(acc, mr, nc - n0 < NR ? nc - n0 : NR, panel.bias, c + n0 * c_col_stride, c_row_stride,
                             c_col_stride);
  }
}
#endif /* __aarch64__ */
