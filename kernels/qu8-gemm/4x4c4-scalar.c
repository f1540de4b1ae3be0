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
  const int32_t *bias = panel.bias;
  const float *scale = panel.scale;
  const int8_t *w0 = panel.w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    /* uint32: the int32 sums wrap (only the bias can take them past 2^31) without undefined behaviour */
    uint32_t acc[MR][NR];
    for (size_t r = 0; r < MR; r++)
      for (size_t j = 0; j < NR; j++) acc[r][j] = (uint32_t)bias[r];
    const int8_t *w = w0;
    const uint8_t *x = packed_x;
    for (size_t kb = 0; kb < kp; kb += KR, w += MR * KR, x += NR * KR) {
      for (size_t r = 0; r < MR; r++)
        for (size_t j = 0; j < NR; j++) {
          int32_t dot = 0;
          for (size_t i = 0; i < KR; i++) dot += (int32_t)w[r * KR + i] * (int32_t)x[j * KR + i];
          acc[r][j] += (uint32_t)dot;
        }
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++) {
      uint8_t *out = c + r * c_row_stride + n0 * c_col_stride;
      for (size_t j = 0; j < cols; j++)
        out[j * c_col_stride] = (uint8_t)qi_requant_fp32((int32_t)acc[r][j], scale[r], params->zero_point,
                                                         params->qmin, params->qmax) ^ params->sign_flip;
    }
  }
}
