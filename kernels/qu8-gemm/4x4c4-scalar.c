#include "kernels/qu8-gemm/dot-4x4c4-scalar.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/requant.h"

#define MR 4
#define NR 4
#define KR 4

void qi_qu8_qc8w_gemm_minmax_fp32_ukernel_4x4c4__scalar(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                        const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                        size_t c_col_stride, const qi_qu8_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params);
  const size_t kp = qi_qu8_round_up(kc, KR);
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    uint32_t acc[MR][NR];
    qi_qu8_gemm_dot_4x4c4__scalar(kp, panel.w, packed_x, panel.bias, acc);
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++) {
      uint8_t *out = c + r * c_row_stride + n0 * c_col_stride;
      for (size_t j = 0; j < cols; j++) {
        const uint32_t sum = acc[r][j] + (params->col_bias ? (uint32_t)params->col_bias[n0 + j] : 0u);
        out[j * c_col_stride] = (uint8_t)qi_requant_fp32((int32_t)sum, panel.scale[r], params->zero_point,
                                                         params->qmin, params->qmax) ^ params->sign_flip;
      }
    }
  }
}
