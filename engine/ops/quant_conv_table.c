#include "engine/op.h"

/* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm (com.microsoft). Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
const qi_op qi_ops_quant_conv[] = {
    {0},
};
