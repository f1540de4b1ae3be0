/* The end of every NEON tile of the family (the -neon, -neondot and -neoni8mm files of kernels/qu8-gemm and
 * kernels/qu8-gemm-s32): all of them are 8 columns wide and leave row r's sums as acc[r][0] (columns 0..3) and
 * acc[r][1] (columns 4..7). Requantization (kernels/requant-neon.h, bit-exact with kernels/requant.h) and the
 * stores with the x86 kernels' semantics: row and column strides, the per-column bias, the output flip, the
 * clamp. Portable NEON only (aarch64 and armv7); the int32 sums wrap like the scalar kernel's uint32 arithmetic
 * (vaddq_s32 wraps). The row store is also the W4A8 NEON tiles' (kernels/qu8-gemm-qb4w/gemm-x8-neon.h). */
#ifndef QI_QU8_GEMM_STORE_X8_NEON_H
#define QI_QU8_GEMM_STORE_X8_NEON_H

#include <arm_neon.h>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/requant-neon.h"

#define QI_QU8_NEON_NR 8

/* The 8 column biases of params->col_bias from column n0 on (cols of them, the rest 0; all 0 without col_bias). */
static inline void qi_qu8_col_bias8_neon(const qi_qu8_gemm_params *params, size_t n0, size_t cols,
                                         int32x4_t cb[2]) {
  int32_t tmp[QI_QU8_NEON_NR] = {0};
  if (params->col_bias)
    for (size_t j = 0; j < cols; j++) tmp[j] = params->col_bias[n0 + j];
  cb[0] = vld1q_s32(tmp), cb[1] = vld1q_s32(tmp + 4);
}

/* Stores one row of 8 results q0 (columns 0..3), q1 (4..7), each in [0, 255], XORed with flip: cols <= 8 of
 * them at row[j * col_stride]. */
static inline void qi_qu8_store_row_x8_neon(int32x4_t q0, int32x4_t q1, size_t cols, uint8_t *row,
                                            size_t col_stride, uint8_t flip) {
  /* the saturating narrows are exact on [0, 255] */
  const uint8x8_t q8 = veor_u8(vqmovun_s16(vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1))), vdup_n_u8(flip));
  if (col_stride == 1 && cols == QI_QU8_NEON_NR) {
    vst1_u8(row, q8);
  } else {
    uint8_t tmp[QI_QU8_NEON_NR];
    vst1_u8(tmp, q8);
    for (size_t j = 0; j < cols; j++) row[j * col_stride] = tmp[j];
  }
}

/* Requantizes and stores rows 0..mr-1 of one 8-column block (cols <= 8 of them) at out: row r's column j at
 * out[r * row_stride + j * col_stride]. */
static inline void qi_qu8_store_x8_neon(int32x4_t acc[][2], size_t mr, size_t n0, size_t cols, const int32_t *bias,
                                        const float *scale, uint8_t *out, size_t row_stride, size_t col_stride,
                                        const qi_qu8_gemm_params *params) {
  int32x4_t cb[2];
  qi_qu8_col_bias8_neon(params, n0, cols, cb);
  const float32x4_t lo = vdupq_n_f32(params->min), hi = vdupq_n_f32(params->max);
  const int32x4_t zp = vdupq_n_s32(params->zero_point);
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t b = vdupq_n_s32(bias[r]);
    const float32x4_t s = vdupq_n_f32(scale[r]);
    const int32x4_t q0 = vaddq_s32(qi_requant_fp32_neon(vaddq_s32(vaddq_s32(acc[r][0], b), cb[0]), s, lo, hi), zp);
    const int32x4_t q1 = vaddq_s32(qi_requant_fp32_neon(vaddq_s32(vaddq_s32(acc[r][1], b), cb[1]), s, lo, hi), zp);
    qi_qu8_store_row_x8_neon(q0, q1, cols, out + r * row_stride, col_stride, params->sign_flip);
  }
}

/* Stores rows 0..mr-1 of one 8-column block (cols <= 8) as int32 sums plus the row bias (qu8-gemm-s32). */
static inline void qi_qu8_store_x8_s32_neon(int32x4_t acc[][2], size_t mr, size_t cols, const int32_t *bias,
                                            int32_t *out, size_t row_stride, size_t col_stride) {
  for (size_t r = 0; r < mr; r++) {
    const int32x4_t b = vdupq_n_s32(bias[r]);
    const int32x4_t s0 = vaddq_s32(acc[r][0], b), s1 = vaddq_s32(acc[r][1], b);
    int32_t *row = out + r * row_stride;
    if (col_stride == 1 && cols == QI_QU8_NEON_NR) {
      vst1q_s32(row, s0), vst1q_s32(row + 4, s1);
    } else {
      int32_t tmp[QI_QU8_NEON_NR];
      vst1q_s32(tmp, s0), vst1q_s32(tmp + 4, s1);
      for (size_t j = 0; j < cols; j++) row[j * col_stride] = tmp[j];
    }
  }
}

#endif /* QI_QU8_GEMM_STORE_X8_NEON_H */
