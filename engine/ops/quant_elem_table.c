#include "engine/op.h"
#include "engine/ops/quant_elem.h"

/* QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearAdd, QLinearMul, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, lookup-table unary ops. Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
#define QI_QUANT_ELEM_ENTRY(name, domain, flags)                                                            \
  {#name, domain, qi_quant_##name##_infer, qi_quant_##name##_prepare, qi_quant_##name##_run,                \
   qi_quant_##name##_release, flags},
const qi_op qi_ops_quant_elem[] = {
    QI_QUANT_ELEM_OPS(QI_QUANT_ELEM_ENTRY){0},
};
