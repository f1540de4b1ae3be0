/* The float steps of the family's NEON tiles (kernels/qu8-gemm-qb4w/gemm-x8-neon.h), one copy for all of them:
 * the per-block accumulation f + (float)acc * scale as three separate instructions (vcvtq_f32_s32, vmulq_f32,
 * vaddq_f32; never a fused vfma / vmla, and this file builds with -ffp-contract=off), and the final clamp, half-even
 * rounding, zero point and store of kernels/requant-neon.h / kernels/qu8-gemm/store-x8-neon.h. Portable NEON
 * (aarch64 and armv7). */
#include "kernels/qu8-gemm-qb4w/gemm-x8-neon.h"

void qi_qu8_qb4w_begin_x8__neon(size_t rows, size_t nblk, qi_qb4w_f_x8 *f, qi_qb4w_acc_x8 *acc, const float *bias_f) {
  for (size_t j = 0; j < nblk; j++)
    for (size_t r = 0; r < rows; r++)
      for (int h = 0; h < 2; h++) f[j][r][h] = vdupq_n_f32(bias_f[r]), acc[j][r][h] = vdupq_n_s32(0);
}

void qi_qu8_qb4w_block_x8__neon(size_t rows, size_t nblk, qi_qb4w_f_x8 *f, qi_qb4w_acc_x8 *acc, const int32_t *zc,
                                const float *scale) {
  for (size_t r = 0; r < rows; r++) {
    const int32x4_t z = vdupq_n_s32(zc[r]);
    const float32x4_t s = vdupq_n_f32(scale[r]);
    for (size_t j = 0; j < nblk; j++)
      for (int h = 0; h < 2; h++) {
        f[j][r][h] = vaddq_f32(f[j][r][h], vmulq_f32(vcvtq_f32_s32(vaddq_s32(acc[j][r][h], z)), s));
        acc[j][r][h] = vdupq_n_s32(0);
      }
  }
}

void qi_qu8_qb4w_store_x8__neon(qi_qb4w_f_x8 *f, size_t mr, size_t cols, uint8_t *out, size_t row_stride,
                                size_t col_stride, const qi_qu8_gemm_params *params) {
  const float32x4_t lo = vdupq_n_f32(params->min), hi = vdupq_n_f32(params->max);
  const int32x4_t zp = vdupq_n_s32(params->zero_point);
  for (size_t j = 0; j * QI_QB4W_NEON_NR < cols; j++) {
    const size_t n = cols - j * QI_QB4W_NEON_NR < QI_QB4W_NEON_NR ? cols - j * QI_QB4W_NEON_NR : QI_QB4W_NEON_NR;
    for (size_t r = 0; r < mr; r++) {
      const int32x4_t q0 = vaddq_s32(qi_clamp_round_neon(f[j][r][0], lo, hi), zp);
      const int32x4_t q1 = vaddq_s32(qi_clamp_round_neon(f[j][r][1], lo, hi), zp);
      qi_qu8_store_row_x8_neon(q0, q1, n, out + j * QI_QB4W_NEON_NR * col_stride + r * row_stride, col_stride,
                               params->sign_flip);
    }
  }
}
