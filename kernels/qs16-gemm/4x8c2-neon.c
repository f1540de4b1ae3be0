/* W8A16 gemm, aarch64 NEON: 4 rows x 8 columns, k in pairs (kernels/qs16-gemm/qs16-gemm.h).
 *
 * Per k pair, two 128-bit loads hold 8 columns x 2 k of activations (int16: x[j][0], x[j][1], ...) and each
 * row's two weights are broadcast as (w0, w1, w0, w1); smlal / smlal2 multiply lane by lane and accumulate
 * int16 x int16 products (at most 2^22 in magnitude) into int32 lanes, one lane per (column, k parity). Over a
 * chunk of QI_QS16_GEMM_KC k a lane sums 128 products, at most 2^29; then addp adds the two parities of each
 * column (at most 2^30) and the sums are widened into int64 accumulators that start at the row's bias: the
 * int64 sum of the scalar kernel. scvtf to binary64 is exact (|acc| < 2^53) and fcvtn rounds it to binary32 once
 * (nearest, ties to even: (float) of the int64); then kernels/requant-neon.h's steps (fmul, the clamp on integer
 * bounds, fcvtns) + zero point, as qi_requant_fp32_s64. armv7 has no such conversions: it runs the scalar kernel. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "kernels/qs16-gemm/qs16-gemm.h"
#include "kernels/requant-neon.h"

#define MR 4
#define NR 8

void qi_qs16_qc8w_gemm_minmax_fp32_ukernel_4x8c2__neon(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                       const int16_t *packed_x, void *c, size_t c_row_stride,
                                                       size_t c_col_stride, const qi_qs16_gemm_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QS16_GEMM_MAX_K);
  const qi_qs16_gemm_panel panel = qi_qs16_gemm_panel_parts(packed_w, MR);
  const size_t pairs = qi_qs16_round_up(kc, 2) / 2, chunk = QI_QS16_GEMM_KC / 2;
  const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
  const int32x4_t vzp = vdupq_n_s32(params->zero_point);
  for (size_t j0 = 0; j0 < nc; j0 += NR, packed_x += qi_qs16_gemm_xblock_elems(kc, NR)) {
    int64x2_t sum[MR][4]; /* columns 2i, 2i + 1 of each row */
    for (size_t r = 0; r < MR; r++)
      for (size_t i = 0; i < 4; i++) sum[r][i] = vdupq_n_s64(panel.bias[r]);
    for (size_t p0 = 0; p0 < pairs; p0 += chunk) {
      const size_t p1 = pairs - p0 < chunk ? pairs : p0 + chunk;
      int32x4_t acc[MR][4]; /* acc[r][i]: columns 2i, 2i + 1, each with both k parities */
      for (size_t r = 0; r < MR; r++)
        for (size_t i = 0; i < 4; i++) acc[r][i] = vdupq_n_s32(0);
      const int16_t *w = panel.w + p0 * MR * 2;
      const int16_t *x = packed_x + p0 * NR * 2;
      for (size_t p = p0; p < p1; p++, w += MR * 2, x += NR * 2) {
        const int16x8_t x0 = vld1q_s16(x), x1 = vld1q_s16(x + 8);
        for (size_t r = 0; r < MR; r++) {
          int32_t wr;
          memcpy(&wr, w + 2 * r, sizeof wr);
          const int16x8_t vw = vreinterpretq_s16_s32(vdupq_n_s32(wr));
          acc[r][0] = vmlal_s16(acc[r][0], vget_low_s16(x0), vget_low_s16(vw));
          acc[r][1] = vmlal_high_s16(acc[r][1], x0, vw);
          acc[r][2] = vmlal_s16(acc[r][2], vget_low_s16(x1), vget_low_s16(vw));
          acc[r][3] = vmlal_high_s16(acc[r][3], x1, vw);
        }
      }
      for (size_t r = 0; r < MR; r++) {
        const int32x4_t c03 = vpaddq_s32(acc[r][0], acc[r][1]), c47 = vpaddq_s32(acc[r][2], acc[r][3]);
        sum[r][0] = vaddw_s32(sum[r][0], vget_low_s32(c03));
        sum[r][1] = vaddw_high_s32(sum[r][1], c03);
        sum[r][2] = vaddw_s32(sum[r][2], vget_low_s32(c47));
        sum[r][3] = vaddw_high_s32(sum[r][3], c47);
      }
    }
    const size_t cols = nc - j0 < NR ? nc - j0 : NR;
    for (size_t r = 0; r < mr; r++) {
      const float32x4_t vs = vdupq_n_f32(panel.scale[r]);
      int32_t q[NR];
      for (size_t h = 0; h < 2; h++) {
        const float32x4_t f = vcombine_f32(vcvt_f32_f64(vcvtq_f64_s64(sum[r][2 * h])),
                                           vcvt_f32_f64(vcvtq_f64_s64(sum[r][2 * h + 1])));
        vst1q_s32(q + 4 * h, vaddq_s32(qi_clamp_round_neon(vmulq_f32(f, vs), vmin, vmax), vzp));
      }
      const size_t base = r * c_row_stride + j0 * c_col_stride;
      if (params->out_bytes == 2)
        for (size_t j = 0; j < cols; j++) ((uint16_t *)c)[base + j * c_col_stride] = (uint16_t)q[j];
      else
        for (size_t j = 0; j < cols; j++) ((uint8_t *)c)[base + j * c_col_stride] = (uint8_t)q[j];
    }
  }
}
#endif /* __aarch64__ */
