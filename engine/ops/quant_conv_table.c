/* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm (com.microsoft), and the products with a run-time
 * scale: DynamicQuantizeMatMul, MatMulIntegerToFloat (com.microsoft), DynamicQuantizeConv (ai.qinfer, made by the
 * dynamic-quantization pass), and the W4A8 ops QLinearConvW4, QLinearMatMulW4 (ai.qinfer, made by the QDQ pass from
 * 4-bit weights): one row per op with its flags (engine/op.h). */
#include "engine/op.h"
#include "engine/ops/quant_conv.h"
#include "engine/ops/quant_dynamic.h"
#include "engine/ops/quant_qb4w.h"

const qi_op qi_ops_quant_conv[] = {
    QI_OP_MACS("QLinearConv", "", qi_qlinearconv_infer, qi_qlinearconv_prepare, qi_qlinearconv_run, qi_qconv_release,
               QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_qlinearconv),
    QI_OP_MACS("ConvInteger", "", qi_convinteger_infer, qi_convinteger_prepare, qi_convinteger_run, qi_qconv_release,
               QI_OPF_QUANTIZED, qi_macs_conv),
    QI_OP_MACS("QLinearMatMul", "", qi_qlinearmatmul_infer, qi_qlinearmatmul_prepare, qi_qlinearmatmul_run,
               qi_qmatmul_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_matmul),
    QI_OP_MACS("MatMulInteger", "", qi_matmulinteger_infer, qi_matmulinteger_prepare, qi_matmulinteger_run,
               qi_qmatmul_release, QI_OPF_QUANTIZED, qi_macs_matmul),
    QI_OP_MACS("QGemm", "com.microsoft", qi_qgemm_infer, qi_qgemm_prepare, qi_qgemm_run, qi_qmatmul_release,
               QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_gemm),
    QI_OP_MACS("DynamicQuantizeMatMul", "com.microsoft", qi_dynamic_quantize_matmul_infer,
               qi_dynamic_quantize_matmul_prepare, qi_dynamic_quantize_matmul_run, qi_dynq_release,
               QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_matmul),
    QI_OP_MACS("MatMulIntegerToFloat", "com.microsoft", qi_matmul_integer_to_float_infer,
               qi_matmul_integer_to_float_prepare, qi_matmul_integer_to_float_run, qi_dynq_release,
               QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_matmul),
    QI_OP_MACS("DynamicQuantizeConv", "ai.qinfer", qi_dynamic_quantize_conv_infer, qi_dynamic_quantize_conv_prepare,
               qi_dynamic_quantize_conv_run, qi_dynq_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_conv),
    QI_OP_MACS("QLinearConvW4", "ai.qinfer", qi_qlinearconv_w4_infer, qi_qlinearconv_w4_prepare,
               qi_qlinearconv_w4_run, qi_qb4w_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_qlinearconv),
    QI_OP_MACS("QLinearMatMulW4", "ai.qinfer", qi_qlinearmatmul_w4_infer, qi_qlinearmatmul_w4_prepare,
               qi_qlinearmatmul_w4_run, qi_qb4w_release, QI_OPF_QUANTIZED | QI_OPF_FUSE_ACT, qi_macs_matmul),
    {0},
};
