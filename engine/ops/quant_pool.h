/* Quantized average pooling ops (com.microsoft): QLinearGlobalAveragePool and QLinearAveragePool, on uint8 and
 * int8 tensors with per-tensor scales and zero points, channels first or (channels_last = 1) last.
 * The math and its requantization scale are in kernels/qu8-avgpool/qu8-avgpool.h and docs/quantization.md. */
#ifndef QI_OPS_QUANT_POOL_H
#define QI_OPS_QUANT_POOL_H

#include "engine/op.h"

qi_status qi_quant_global_avgpool_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_quant_avgpool_infer(qi_graph *g, qi_node *n, qi_error *err);
/* Shared by both ops. */
qi_status qi_quant_pool_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_quant_pool_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);
void qi_quant_pool_release(qi_node_rt *rt);

#endif /* QI_OPS_QUANT_POOL_H */
