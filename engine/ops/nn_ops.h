/* Entry points of the nn family's ops, gathered into qi_ops_nn by nn_table.c (one nn_*.c file per op). */
#ifndef QI_NN_OPS_H
#define QI_NN_OPS_H

#include "engine/op.h"

#define QI_NN_DECLARE_OP(name)                                                              \
  qi_status qi_nn_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);                   \
  qi_status qi_nn_##name##_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);                 \
  qi_status qi_nn_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err); \
  void qi_nn_##name##_release(qi_node_rt *rt)

QI_NN_DECLARE_OP(conv);
QI_NN_DECLARE_OP(conv_transpose);
QI_NN_DECLARE_OP(gemm);
QI_NN_DECLARE_OP(matmul);
/* com.microsoft.MatMulNBits and ai.qinfer MatMulQB4W (weight-only int4 QDQ MatMul / Gemm, pass_qdq_w4.c) on the
 * W4A32 kernels; they run and release as engine/ops/nn_qb4w.h says. */
qi_status qi_nn_matmul_nbits_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_nn_matmul_nbits_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_nn_matmul_nbits_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
qi_status qi_nn_matmul_qb4w_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_nn_matmul_qb4w_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
/* ai.qinfer ConvQB4W: weight-only int4 QDQ Conv (pass_qdq_w4.c); its state is freed by qi_qb4w_linear_release. */
qi_status qi_nn_conv_qb4w_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_nn_conv_qb4w_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_nn_conv_qb4w_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
QI_NN_DECLARE_OP(global_pool);
QI_NN_DECLARE_OP(pool);
QI_NN_DECLARE_OP(attention);
QI_NN_DECLARE_OP(attention_fused);

int64_t qi_macs_attention_fused(const qi_graph *g, const qi_node *n);
/* Reads ints attribute `name` of n as a permutation of rank axes into perm (identity, or the reversal when
 * reverse_default, if absent); false when it is not one. */
bool qi_nn_read_perm(const qi_node *n, const char *name, int rank, bool reverse_default, int *perm);

#endif /* QI_NN_OPS_H */
