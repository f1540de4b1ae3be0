/* Linear layers on 4-bit weights with float activations (W4A32): the weights, described where they lie as a
 * kernels/qb4w.h source (an int4 / uint4 initializer, a com.microsoft.MatMulNBits blob), are packed once at
 * prepare for the f32-gemm-qb4w "xw" kernels and stay 4-bit in memory; run streams A through them.
 * Used by com.microsoft.MatMulNBits (nn_matmul_nbits.c) and by the weight-only int4 QDQ MatMul / Gemm that
 * engine/pass_qdq_w4.c makes (MatMulQB4W, nn_matmul_qb4w.c). */
#ifndef QI_NN_QB4W_H
#define QI_NN_QB4W_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/op.h"
#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

typedef struct qi_qb4w_linear {
  const qi_f32_gemm_qb4w_config *cfg;
  size_t n, k, bl;      /* output columns (the source's rows), reduction length, packed block length */
  size_t panel_stride;  /* bytes from one packed panel of xw_nr columns to the next */
  const void *packed;   /* in rt's packed slot */
} qi_qb4w_linear;

/* Whether the kernels take src's blocks: block-wise with a block that is a multiple of 16, or one block over the
 * whole of k (per channel / per tensor). Other blocks run on a reference path (the caller's choice). */
bool qi_qb4w_linear_fits(const qi_qb4w_source *src);

/* Packs src (src->m = N output columns x K) and bias (N floats, NULL: none) into rt's packed slot `slot`
 * (packed once; a re-plan hands the same buffer back) and names the kernel in rt->kernel. */
qi_status qi_qb4w_linear_prepare(qi_node_rt *rt, int slot, const qi_qb4w_source *src, const float *bias,
                                 const qi_node *n, qi_qb4w_linear *out, qi_error *err);

/* Y[m, N] = A[m, K] * W + bias (rows of A a_stride floats apart, of Y y_stride apart) on the pool: tiles of
 * (column block, xw_mr rows); each output element is computed by one kernel call whatever the split. */
void qi_qb4w_linear_run(const qi_qb4w_linear *l, size_t m, const float *a, size_t a_stride, float *y,
                        size_t y_stride, qi_threadpool *pool);

/* The two ops over it: output 0 is input 0 (A, float [..., K]) with its last dimension n_cols; the op state is a
 * calloc'ed qi_qb4w_linear (rt->state); run computes output 0 from input 0 (its rows numel / K). */
qi_status qi_qb4w_linear_output(qi_graph *g, const qi_node *n, size_t n_cols, qi_error *err);
qi_qb4w_linear *qi_qb4w_linear_state(qi_node_rt *rt, const qi_node *n, qi_error *err);
void qi_qb4w_linear_release(qi_node_rt *rt); /* frees rt->state (any calloc'ed state: ConvQB4W's too) */
qi_status qi_qb4w_linear_node_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                  qi_error *err);

#endif /* QI_NN_QB4W_H */
