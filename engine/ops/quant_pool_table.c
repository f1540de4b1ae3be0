#include "engine/op.h"
#include "engine/ops/quant_pool.h"

/* QLinearGlobalAveragePool, QLinearAveragePool (com.microsoft). Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
const qi_op qi_ops_quant_pool[] = {
    {"QLinearGlobalAveragePool", "com.microsoft", qi_quant_global_avgpool_infer, qi_quant_pool_prepare,
     qi_quant_pool_run, qi_quant_pool_release, 0},
    {"QLinearAveragePool", "com.microsoft", qi_quant_avgpool_infer, qi_quant_pool_prepare, qi_quant_pool_run,
     qi_quant_pool_release, 0},
    {0},
};
