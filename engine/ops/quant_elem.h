/* Quantization ops outside convolution and pooling (engine/ops/quant_qdq.c, quant_elem.c), listed once here:
 * each X(Name) entry declares qi_quant_<Name>_infer / _prepare / _run / _release; quant_elem_table.c registers
 * them with their domains and flags. */
#ifndef QI_OPS_QUANT_ELEM_H
#define QI_OPS_QUANT_ELEM_H

#include "engine/op.h"

#define QI_QUANT_ELEM_OPS(X) \
  X(QuantizeLinear)          \
  X(DequantizeLinear)        \
  X(DynamicQuantizeLinear)   \
  X(QLinearAdd)              \
  X(QLinearMul)              \
  X(QLinearConcat)           \
  X(QLinearSigmoid)          \
  X(QLinearLeakyRelu)        \
  X(QLinearLookup)

#define QI_QUANT_ELEM_DECLARE(name)                                                                  \
  qi_status qi_quant_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);                         \
  qi_status qi_quant_##name##_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);                       \
  qi_status qi_quant_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);   \
  void qi_quant_##name##_release(qi_node_rt *rt);
QI_QUANT_ELEM_OPS(QI_QUANT_ELEM_DECLARE)
#undef QI_QUANT_ELEM_DECLARE

/* Elements per parallel chunk of the byte-wise loops. */
#define QI_QUANT_GRAIN 16384

#endif /* QI_OPS_QUANT_ELEM_H */
