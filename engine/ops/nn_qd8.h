/* Linear layers with 4-bit weights and activations quantized to int8 at run time per row and block of k (dynamic
 * W4A8: com.microsoft.MatMulNBits at accuracy_level 4, nn_matmul_nbits.c). The weights, described where they lie
 * as a kernels/qb4w.h source, are packed once at prepare for kernels/qd8-f32-qb4w-gemm and stay 4-bit; each run
 * quantizes the rows of A into scratch (ONNX Runtime's CompInt8 rule, the family's header), then runs the
 * integer gemm over them. */
#ifndef QI_NN_QD8_H
#define QI_NN_QD8_H

#include <stddef.h>

#include "engine/op.h"
#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

typedef struct qi_qd8_linear {
  const qi_qd8_f32_qb4w_gemm_config *cfg;
  size_t n, k, bl, nb;  /* output columns, reduction length, block length of weights and activations, blocks */
  size_t panel_stride;  /* bytes from one packed panel of nr columns to the next */
  const void *packed;   /* in rt's packed slot */
} qi_qd8_linear;

/* Whether the kernels take src's blocks: a multiple of 8, or one block over the whole of k. */
bool qi_qd8_linear_fits(const qi_qb4w_source *src);

/* Packs src (src->m = N output columns x K) and bias (N floats, NULL: none) into rt's packed slot `slot` (once; a
 * re-plan hands the same buffer back) and names the kernel in rt->kernel. */
qi_status qi_qd8_linear_prepare(qi_node_rt *rt, int slot, const qi_qb4w_source *src, const float *bias,
                                const qi_node *n, qi_qd8_linear *out, qi_error *err);

/* Scratch bytes one run of m rows needs (the quantized rows and their block parameters). */
size_t qi_qd8_linear_scratch_bytes(const qi_qd8_linear *l, size_t m);

/* Y[m, N] = A[m, K] * W + bias (rows of A a_stride floats apart, of Y y_stride apart) on the pool, with
 * qi_qd8_linear_scratch_bytes(l, m) bytes of scratch (8-byte aligned). */
void qi_qd8_linear_run(const qi_qd8_linear *l, size_t m, const float *a, size_t a_stride, float *y, size_t y_stride,
                       void *scratch, qi_threadpool *pool);

#endif /* QI_NN_QD8_H */
