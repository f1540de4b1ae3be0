/* W4A8 integer ops (ai.qinfer QLinearConvW4, QLinearMatMulW4: engine/ops/quant_qb4w.c), made by the QDQ pass from
 * DequantizeLinear of 8-bit activations and 4-bit constant weights (engine/pass_qdq_w4a8.c). */
#ifndef QI_OPS_QUANT_QB4W_H
#define QI_OPS_QUANT_QB4W_H

#include "engine/op.h"

qi_status qi_qlinearconv_w4_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qlinearconv_w4_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qlinearconv_w4_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
qi_status qi_qlinearmatmul_w4_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_qlinearmatmul_w4_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_qlinearmatmul_w4_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                  qi_error *err);
void qi_qb4w_release(qi_node_rt *rt);

#endif /* QI_OPS_QUANT_QB4W_H */
