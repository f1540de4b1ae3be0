/* W8A16 gemm, portable C: 4 rows x 4 columns, k in pairs (kernels/qs16-gemm/qs16-gemm.h). Products summed in
 * int32 over chunks of QI_QS16_GEMM_KC k, each chunk widened to int64; requantized by qi_requant_fp32_s64. */
#include "kernels/qs16-gemm/qs16-gemm.h"
#include "kernels/requant.h"

#define MR 4
#define NR 4

void qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x4c2__scalar(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                         const int16_t *packed_x, void *c, size_t c_row_stride,
                                                         size_t c_col_stride, const qi_qs16_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QS16_GEMM_MAX_K);
  const qi_qs16_gemm_panel panel = qi_qs16_gemm_panel_parts(packed_w, MR);
  const size_t pairs = qi_qs16_round_up(kc, 2) / 2, chunk = QI_QS16_GEMM_KC / 2;
  for (size_t j0 = 0; j0 < nc; j0 += NR, packed_x += qi_qs16_gemm_xblock_elems(kc, NR)) {
    int64_t acc[MR][NR];
    for (size_t r = 0; r < MR; r++)
      for (size_t j = 0; j < NR; j++) acc[r][j] = panel.bias[r];
    for (size_t p0 = 0; p0 < pairs; p0 += chunk) {
      const size_t p1 = pairs - p0 < chunk ? pairs : p0 + chunk;
      int32_t part[MR][NR] = {{0}};
      for (size_t p = p0; p < p1; p++)
        for (size_t r = 0; r < MR; r++)
          for (size_t j = 0; j < NR; j++)
            for (size_t i = 0; i < 2; i++)
              part[r][j] += (int32_t)packed_x[(p * NR + j) * 2 + i] * (int32_t)panel.w[(p * MR + r) * 2 + i];
      for (size_t r = 0; r < MR; r++)
        for (size_t j = 0; j < NR; j++) acc[r][j] += part[r][j];
    }
    const size_t cols = nc - j0 < NR ? nc - j0 : NR;
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < cols; j++) {
        const int32_t q = qi_requant_fp32_s64(acc[r][j], panel.scale[r], params->zero_point, params->qmin,
                                              params->qmax);
        const size_t at = r * c_row_stride + (j0 + j) * c_col_stride;
        if (params->out_bytes == 2) ((uint16_t *)c)[at] = (uint16_t)q; /* the low 16 bits */
        else ((uint8_t *)c)[at] = (uint8_t)q;
      }
  }
}
