/* Integer products with a float output and a run-time scale (engine/ops/quant_dynamic.c): com.microsoft
 * DynamicQuantizeMatMul and MatMulIntegerToFloat, and ai.qinfer DynamicQuantizeConv, which the
 * dynamic-quantization pass makes of ONNX Runtime's DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul chains. */
#ifndef QI_OPS_QUANT_DYNAMIC_H
#define QI_OPS_QUANT_DYNAMIC_H

#include "engine/op.h"

qi_status qi_dynamic_quantize_matmul_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_dynamic_quantize_matmul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_dynamic_quantize_matmul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                         qi_error *err);
qi_status qi_matmul_integer_to_float_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_matmul_integer_to_float_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_matmul_integer_to_float_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                         qi_error *err);
qi_status qi_dynamic_quantize_conv_infer(qi_graph *g, qi_node *n, qi_error *err);
qi_status qi_dynamic_quantize_conv_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);
qi_status qi_dynamic_quantize_conv_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                       qi_error *err);
void qi_dynq_release(qi_node_rt *rt);

#endif /* QI_OPS_QUANT_DYNAMIC_H */
