/* ONNX Runtime's QOperator ops of transformer models (com.microsoft), one file each: QLinearSoftmax
 * (quant_softmax.c), QLinearWhere (quant_where.c), QLinearReduceMean (quant_reduce_mean.c) and QAttention
 * (quant_attention.c); quant_transformer_table.c registers them. docs/quantization.md has their arithmetic. */
#ifndef QI_OPS_QUANT_TRANSFORMER_H
#define QI_OPS_QUANT_TRANSFORMER_H

#include "engine/op.h"

qi_status qi_qsoftmax_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qsoftmax_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qsoftmax_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);

qi_status qi_qwhere_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qwhere_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qwhere_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);

qi_status qi_qreduce_mean_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qreduce_mean_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                              qi_error *err);

qi_status qi_qattention_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qattention_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qattention_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);

/* Frees rt->state (a single block). */
void qi_quant_transformer_release(qi_node_rt *rt);

#endif /* QI_OPS_QUANT_TRANSFORMER_H */
