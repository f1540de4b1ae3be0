/* Quantization ops outside convolution and pooling (engine/ops/quant_qdq.c, quant_elem.c), listed once here:
 * each X(Name, domain, flags) entry declares qi_quant_<Name>_infer / _prepare / _run / _release, and
 * quant_elem_table.c builds qi_ops_quant_elem[] from the same list. */
#ifndef QI_OPS_QUANT_ELEM_H
#define QI_OPS_QUANT_ELEM_H

#include "engine/op.h"

/* X(Name, domain, flags) */
#define QI_QUANT_ELEM_OPS(X)                     \
  X(QuantizeLinear, "", 0)                       \
  X(DequantizeLinear, "", QI_OPF_FOLD_LATE)      \
  X(QuantizeLinear, "com.microsoft", 0)          \
  X(DequantizeLinear, "com.microsoft", QI_OPF_FOLD_LATE) \
  X(DynamicQuantizeLinear, "", 0)                \
  X(QLinearAdd, "com.microsoft", QI_OPF_FUSE_ACT) \
  X(QLinearMul, "com.microsoft", QI_OPF_FUSE_ACT) \
  X(QLinearConcat, "com.microsoft", 0)           \
  X(QLinearSigmoid, "com.microsoft", 0)          \
  X(QLinearLeakyRelu, "com.microsoft", 0)        \
  X(QLinearLookup, "ai.qinfer", 0)

#define QI_QUANT_ELEM_DECLARE(name, domain, flags)                                                   \
  qi_status qi_quant_##name##_infer(qi_graph *g, qi_node *n, qi_error *err);                         \
  qi_status qi_quant_##name##_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err);                       \
  qi_status qi_quant_##name##_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err);   \
  void qi_quant_##name##_release(qi_node_rt *rt);
QI_QUANT_ELEM_OPS(QI_QUANT_ELEM_DECLARE)
#undef QI_QUANT_ELEM_DECLARE

/* "node 'name' (Op): message" errors of the quantization ops. */
qi_status qi_quant_fail(qi_error *err, qi_status code, const qi_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Elements per parallel chunk of the byte-wise loops. */
#define QI_QUANT_GRAIN 16384

#endif /* QI_OPS_QUANT_ELEM_H */
