#include "engine/op.h"

/* QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearAdd, QLinearMul, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, lookup-table unary ops. Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
const qi_op qi_ops_quant_elem[] = {
    {0},
};
