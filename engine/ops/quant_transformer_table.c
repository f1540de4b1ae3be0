/* ONNX Runtime's QOperator transformer ops (com.microsoft): QLinearSoftmax, QLinearWhere, QLinearReduceMean,
 * QAttention; one row per op with its flags (engine/op.h). */
#include <stdlib.h>

#include "engine/op.h"
#include "engine/ops/quant_transformer.h"

void qi_quant_transformer_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

const qi_op qi_ops_quant_transformer[] = {
    QI_OP("QLinearSoftmax", "com.microsoft", qi_qsoftmax_infer, qi_qsoftmax_prepare, qi_qsoftmax_run,
          qi_quant_transformer_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearWhere", "com.microsoft", qi_qwhere_infer, qi_qwhere_prepare, qi_qwhere_run,
          qi_quant_transformer_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearReduceMean", "com.microsoft", qi_qreduce_mean_infer, NULL, qi_qreduce_mean_run, NULL,
          QI_OPF_QUANTIZED),
    QI_OP_MACS("QAttention", "com.microsoft", qi_qattention_infer, qi_qattention_prepare, qi_qattention_run, NULL,
               QI_OPF_QUANTIZED, qi_macs_qattention),
    {0},
};
