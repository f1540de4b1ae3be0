/* QuantizeLinear, DequantizeLinear (also com.microsoft's, for models below opset 13), DynamicQuantizeLinear,
 * QLinearAdd, QLinearMul, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu and the lookup-table unary ops: one row
 * per op with its flags (engine/op.h). */
#include "engine/op.h"
#include "engine/ops/quant_elem.h"

const qi_op qi_ops_quant_elem[] = {
    QI_OP("QuantizeLinear", "", qi_quant_QuantizeLinear_infer, qi_quant_QuantizeLinear_prepare,
          qi_quant_QuantizeLinear_run, qi_quant_QuantizeLinear_release, QI_OPF_QUANTIZED | QI_OPF_READS_4BIT),
    QI_OP("DequantizeLinear", "", qi_quant_DequantizeLinear_infer, qi_quant_DequantizeLinear_prepare,
          qi_quant_DequantizeLinear_run, qi_quant_DequantizeLinear_release,
          QI_OPF_QUANTIZED | QI_OPF_FOLD_LATE | QI_OPF_READS_4BIT),
    QI_OP("QuantizeLinear", "com.microsoft", qi_quant_QuantizeLinear_infer, qi_quant_QuantizeLinear_prepare,
          qi_quant_QuantizeLinear_run, qi_quant_QuantizeLinear_release, QI_OPF_QUANTIZED | QI_OPF_READS_4BIT),
    QI_OP("DequantizeLinear", "com.microsoft", qi_quant_DequantizeLinear_infer, qi_quant_DequantizeLinear_prepare,
          qi_quant_DequantizeLinear_run, qi_quant_DequantizeLinear_release,
          QI_OPF_QUANTIZED | QI_OPF_FOLD_LATE | QI_OPF_READS_4BIT),
    QI_OP("DynamicQuantizeLinear", "", qi_quant_DynamicQuantizeLinear_infer, qi_quant_DynamicQuantizeLinear_prepare,
          qi_quant_DynamicQuantizeLinear_run, qi_quant_DynamicQuantizeLinear_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearAdd", "com.microsoft", qi_quant_QLinearAdd_infer, qi_quant_QLinearAdd_prepare,
          qi_quant_QLinearAdd_run, qi_quant_QLinearAdd_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT),
    QI_OP("QLinearMul", "com.microsoft", qi_quant_QLinearMul_infer, qi_quant_QLinearMul_prepare,
          qi_quant_QLinearMul_run, qi_quant_QLinearMul_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT),
    QI_OP("QLinearConcat", "com.microsoft", qi_quant_QLinearConcat_infer, qi_quant_QLinearConcat_prepare,
          qi_quant_QLinearConcat_run, qi_quant_QLinearConcat_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearSigmoid", "com.microsoft", qi_quant_QLinearSigmoid_infer, qi_quant_QLinearSigmoid_prepare,
          qi_quant_QLinearSigmoid_run, qi_quant_QLinearSigmoid_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearLeakyRelu", "com.microsoft", qi_quant_QLinearLeakyRelu_infer, qi_quant_QLinearLeakyRelu_prepare,
          qi_quant_QLinearLeakyRelu_run, qi_quant_QLinearLeakyRelu_release, QI_OPF_QUANTIZED),
    QI_OP("QLinearLookup", "ai.qinfer", qi_quant_QLinearLookup_infer, qi_quant_QLinearLookup_prepare,
          qi_quant_QLinearLookup_run, qi_quant_QLinearLookup_release, QI_OPF_QUANTIZED),
    {0},
};
