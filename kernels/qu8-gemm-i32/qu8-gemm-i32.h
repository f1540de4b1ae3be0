/* Integer matrix product with int32 output: uint8 activations minus their zero point times 8-bit weights,
 *
 *   c[r * c_stride + j] = sum_{k < K} (x[r * x_stride + k] - x_zero_point) * w[k * w_stride + j]
 *
 * for rows r < M and columns j < N, w int8 (w_signed) or uint8, exact in int32 (no rounding, no saturation).
 * The int32 sums are the caller's to scale: QAttention's projection (engine/ops/quant_attention.c) subtracts
 * w_zero_point[j] * sum_k (x - x_zero_point) and converts them to float.
 * Precondition: K <= QI_QU8_GEMM_I32_MAX_K, so no partial sum can leave int32 (|x - zp| <= 255, |w| <= 255).
 * The AVX2 kernel takes two k at a time as int16 pairs (vpmaddwd: exact, each pair sum <= 2 * 255 * 255),
 * 4 rows x 16 columns per tile; every path gives the same integers. */
#ifndef QI_QU8_GEMM_I32_H
#define QI_QU8_GEMM_I32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ukernel.h"

#define QI_QU8_GEMM_I32_MAX_K ((size_t)33025) /* floor((2^31 - 1) / (255 * 255)) */

#define QI_QU8_GEMM_I32_UKERNEL_DECL(fn)                                                                        \
  void fn(size_t m, size_t n, size_t k, const uint8_t *x, size_t x_stride, int32_t x_zero_point, const uint8_t *w, \
          size_t w_stride, bool w_signed, int32_t *c, size_t c_stride)
typedef QI_QU8_GEMM_I32_UKERNEL_DECL((*qi_qu8_gemm_i32_ukernel_fn));

QI_QU8_GEMM_I32_UKERNEL_DECL(qi_qu8_x8w_gemm_i32_ukernel_1x1__scalar);
#if defined(__x86_64__) || defined(__i386__)
QI_QU8_GEMM_I32_UKERNEL_DECL(qi_qu8_x8w_gemm_i32_ukernel_4x16c2__avx2);
#endif /* x86 */

typedef struct qi_qu8_gemm_i32_config {
  qi_qu8_gemm_i32_ukernel_fn ukernel;
  const char *name;
  uint32_t features; /* QI_CPU_* bits the kernel needs */
  size_t mr;         /* rows per tile: callers split rows in multiples of it */
} qi_qu8_gemm_i32_config;
QI_KERNEL_PAIR(qi_qu8_gemm_i32_config, ukernel, name);

/* Never NULL; paths without kernels of their own fall back (AVX-VNNI / AVX-512 VNNI use the AVX2 kernel). */
const qi_qu8_gemm_i32_config *qi_qu8_gemm_i32_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_qu8_gemm_i32_config *const *qi_qu8_gemm_i32_config_list(size_t *count);

#endif /* QI_QU8_GEMM_I32_H */
