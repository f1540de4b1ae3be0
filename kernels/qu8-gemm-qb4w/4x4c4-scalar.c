/* The portable W4A8 kernel: per column block of 4, per block of bl k-values, the block's nibbles are unpacked a
 * group at a time into u - z (int32, 4 rows x G), multiplied with the packed activations in int32 (uint32 for the
 * wrapping add of zc), and the block's sum joins the float total: f = f + (float)acc * scale, two roundings
 * (-ffp-contract=off). */
#include <math.h>

#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

#define MR 4
#define NR 4
#define KR 4

QI_QU8_GEMM_QB4W_UKERNEL_DECL(qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar);

/* kernels/requant.h's clamp and rounding of the float total f: clamp to [qmin - zp, qmax - zp], round half to
 * even, + zp, XOR the output flip. */
static inline uint8_t out_byte(float f, const qi_qu8_gemm_params *p) {
  f = f < p->min ? p->min : f;
  f = f > p->max ? p->max : f;
  return (uint8_t)((int32_t)lrintf(f) + p->zero_point) ^ p->sign_flip;
}

void qi_qu8_qb4w_gemm_minmax_fp32_ukernel_4x4c4__scalar(size_t mr, size_t nc, size_t kc, const void *packed_w,
                                                        const uint8_t *packed_x, uint8_t *c, size_t c_row_stride,
                                                        size_t c_col_stride, const qi_qu8_gemm_qb4w_params *params) {
  assert(mr >= 1 && mr <= MR && nc >= 1 && kc >= 1 && kc <= QI_QU8_GEMM_MAX_K);
  assert(packed_w && packed_x && c && params && !params->out.col_bias);
  const size_t bl = params->bl, kp = qi_qu8_round_up(kc, KR), nb = (kc + bl - 1) / bl;
  assert(bl >= 16 && bl % 16 == 0);
  const size_t g_len = qi_qu8_gemm_qb4w_group(bl), half = g_len / 2;
  const float *bias_f = packed_w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    float f[MR][NR];
    for (size_t r = 0; r < MR; r++)
      for (size_t j = 0; j < NR; j++) f[r][j] = bias_f[r];
    for (size_t b = 0; b < nb; b++) {
      const qi_qu8_gemm_qb4w_block blk = qi_qu8_gemm_qb4w_block_parts(packed_w, MR, bl, b);
      uint32_t acc[MR][NR];
      for (size_t r = 0; r < MR; r++)
        for (size_t j = 0; j < NR; j++) acc[r][j] = (uint32_t)blk.zc[r];
      const size_t k0 = b * bl, len = kp - k0 < bl ? kp - k0 : bl; /* a multiple of KR */
      const uint8_t *u = blk.u;
      for (size_t g0 = 0; g0 < len; g0 += g_len, u += MR * half) {
        int32_t wd[MR][32];
        for (size_t r = 0; r < MR; r++)
          for (size_t i = 0; i < half; i++) {
            wd[r][i] = (int32_t)(u[r * half + i] & 15) - blk.z[r];
            wd[r][i + half] = (int32_t)(u[r * half + i] >> 4) - blk.z[r];
          }
        const size_t g_end = len - g0 < g_len ? len - g0 : g_len;
        for (size_t kk = 0; kk < g_end; kk++) {
          const size_t kx = k0 + g0 + kk;
          const uint8_t *x = packed_x + kx / KR * (NR * KR) + kx % KR; /* column j at x[j * KR] */
          for (size_t r = 0; r < MR; r++)
            for (size_t j = 0; j < NR; j++) acc[r][j] += (uint32_t)(wd[r][kk] * (int32_t)x[j * KR]);
        }
      }
      for (size_t r = 0; r < MR; r++)
        for (size_t j = 0; j < NR; j++) f[r][j] = f[r][j] + (float)(int32_t)acc[r][j] * blk.scale[r];
    }
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < cols; j++)
        c[r * c_row_stride + (n0 + j) * c_col_stride] = out_byte(f[r][j], &params->out);
  }
}
