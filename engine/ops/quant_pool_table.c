#include "engine/op.h"

/* QLinearGlobalAveragePool, QLinearAveragePool (com.microsoft). Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
const qi_op qi_ops_quant_pool[] = {
    {0},
};
