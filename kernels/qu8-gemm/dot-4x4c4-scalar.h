/* The products of the scalar 4x4c4 tile, shared by its requantizing kernel (kernels/qu8-gemm/4x4c4-scalar.c) and
 * its int32-output twin (kernels/qu8-gemm-s32/4x4c4-scalar.c). */
#ifndef QI_QU8_GEMM_DOT_4X4C4_SCALAR_H
#define QI_QU8_GEMM_DOT_4X4C4_SCALAR_H

#include "kernels/qu8-gemm/qu8-gemm.h"

/* acc[r][j] = bias[r] + sum over kp (a multiple of 4) of w x, for one block of 4 columns; uint32: the int32 sums
 * wrap (only the bias can take them past 2^31) without undefined behaviour. */
static inline void qi_qu8_gemm_dot_4x4c4__scalar(size_t kp, const int8_t *w, const uint8_t *x, const int32_t *bias,
                                                 uint32_t acc[4][4]) {
  for (size_t r = 0; r < 4; r++)
    for (size_t j = 0; j < 4; j++) acc[r][j] = (uint32_t)bias[r];
  for (size_t kb = 0; kb < kp; kb += 4, w += 4 * 4, x += 4 * 4)
    for (size_t r = 0; r < 4; r++)
      for (size_t j = 0; j < 4; j++) {
        int32_t dot = 0;
        for (size_t i = 0; i < 4; i++) dot += (int32_t)w[r * 4 + i] * (int32_t)x[j * 4 + i];
        acc[r][j] += (uint32_t)dot;
      }
}

#endif /* QI_QU8_GEMM_DOT_4X4C4_SCALAR_H */
