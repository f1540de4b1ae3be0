/* Quantized GEMM with int32 output: the products of kernels/qu8-gemm (8-bit activations x int8 weights, int32
 * accumulation, the same packed weight and activation formats) stored as the exact int32 sums, unrequantized:
 *
 *   C[m][n] = bias[m] + sum_k W[m][k] * X_d[k][n]        (int32, wrapping)
 *
 * for the ops whose output scale is only known at run time (the dynamic quantization of ONNX Runtime's
 * DynamicQuantizeLinear -> ConvInteger / MatMulInteger -> Cast -> Mul pattern, com.microsoft
 * DynamicQuantizeMatMul and MatMulIntegerToFloat: engine/ops/quant_dynamic.c), which apply their float scale
 * afterwards. The panel header's scale is not read. Each config names the qu8-gemm `layout` whose packers
 * (pack_w, packed_w_size, qi_qu8_gemm_pack_x, qi_qu8_im2col_packed) fill its operands: tile mr x nr, k-block kr,
 * weight width and activation domain. The ukernel's contract is the qu8-gemm one (1 <= kc <= QI_QU8_GEMM_MAX_K,
 * mr rows of one panel, nc columns over consecutive column blocks) with C[r][j] stored at
 * c[r * c_row_stride + j * c_col_stride] (strides in int32 elements). */
#ifndef QI_QU8_GEMM_S32_H
#define QI_QU8_GEMM_S32_H

#include "kernels/qu8-gemm/qu8-gemm.h"

#define QI_QU8_GEMM_S32_UKERNEL_DECL(fn)                                                                      \
  void fn(size_t mr, size_t nc, size_t kc, const void *packed_w, const uint8_t *packed_x, int32_t *c,           \
          size_t c_row_stride, size_t c_col_stride)
typedef QI_QU8_GEMM_S32_UKERNEL_DECL((*qi_qu8_gemm_s32_ukernel_fn));

typedef struct qi_qu8_gemm_s32_config {
  qi_qu8_gemm_s32_ukernel_fn ukernel;
  const char *name;
  uint32_t features;          /* QI_CPU_* bits the kernel needs */
  qi_qu8_gemm_config layout;  /* the qu8-gemm formats it reads (its ukernel: the requantizing twin) */
} qi_qu8_gemm_s32_config;
QI_KERNEL_PAIR(qi_qu8_gemm_s32_config, ukernel, name);

/* Config for an ISA path, falling back along the family (avx512vnni -> avxvnni -> avx2 -> scalar; neoni8mm ->
 * neondot -> neon -> scalar). Never NULL. */
const qi_qu8_gemm_s32_config *qi_qu8_gemm_s32_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first. */
const qi_qu8_gemm_s32_config *const *qi_qu8_gemm_s32_config_list(size_t *count);

QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_4x4c4__scalar);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_4x8c4__avx2);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_6x16c4__avxvnni);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_8x32c4__avx512vnni);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_4x8c1__neon);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_8x8c1__neon);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_8x8c4__neondot);
QI_QU8_GEMM_S32_UKERNEL_DECL(qi_qu8_qc8w_gemm_s32_ukernel_8x8c8__neoni8mm);

#endif /* QI_QU8_GEMM_S32_H */
