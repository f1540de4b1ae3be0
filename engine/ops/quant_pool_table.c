/* QLinearGlobalAveragePool, QLinearAveragePool (com.microsoft): one row per op with its flags (engine/op.h). */
#include "engine/op.h"
#include "engine/ops/quant_pool.h"

const qi_op qi_ops_quant_pool[] = {
    QI_OP("QLinearGlobalAveragePool", "com.microsoft", qi_quant_global_avgpool_infer, qi_quant_pool_prepare,
          qi_quant_pool_run, qi_quant_pool_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearAveragePool", "com.microsoft", qi_quant_avgpool_infer, qi_quant_pool_prepare, qi_quant_pool_run,
          qi_quant_pool_release, QI_OPF_QUANTIZED),
    {0},
};
