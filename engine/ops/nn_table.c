/* The nn op family: one row per op with its flags (engine/op.h); the code lives in nn_<name>.c. */
#include "engine/ops/nn_ops.h"
#include "engine/ops/nn_qb4w.h"

const qi_op qi_ops_nn[] = {
    QI_OP_MACS("Conv", "", qi_nn_conv_infer, qi_nn_conv_prepare, qi_nn_conv_run, qi_nn_conv_release,
               QI_OPF_FUSE_ACT | QI_OPF_QUANT_LINEAR, qi_macs_conv),
    QI_OP_MACS("ConvTranspose", "", qi_nn_conv_transpose_infer, qi_nn_conv_transpose_prepare,
               qi_nn_conv_transpose_run, qi_nn_conv_transpose_release, 0, qi_macs_conv_transpose),
    QI_OP_MACS("Gemm", "", qi_nn_gemm_infer, qi_nn_gemm_prepare, qi_nn_gemm_run, qi_nn_gemm_release,
               QI_OPF_FUSE_ACT | QI_OPF_QUANT_LINEAR, qi_macs_gemm),
    QI_OP_MACS("MatMul", "", qi_nn_matmul_infer, qi_nn_matmul_prepare, qi_nn_matmul_run, qi_nn_matmul_release,
               QI_OPF_QUANT_LINEAR, qi_macs_matmul),
    QI_OP_MACS("MatMulNBits", "com.microsoft", qi_nn_matmul_nbits_infer, qi_nn_matmul_nbits_prepare,
               qi_nn_matmul_nbits_run, qi_qb4w_linear_release, QI_OPF_QUANTIZED, qi_macs_matmul),
    QI_OP_MACS("MatMulQB4W", "ai.qinfer", qi_nn_matmul_qb4w_infer, qi_nn_matmul_qb4w_prepare, qi_qb4w_linear_node_run,
               qi_qb4w_linear_release, QI_OPF_QUANTIZED | QI_OPF_READS_4BIT, qi_macs_matmul),
    QI_OP_MACS("ConvQB4W", "ai.qinfer", qi_nn_conv_qb4w_infer, qi_nn_conv_qb4w_prepare, qi_nn_conv_qb4w_run,
               qi_qb4w_linear_release, QI_OPF_QUANTIZED | QI_OPF_READS_4BIT | QI_OPF_FUSE_ACT,
               qi_macs_conv),
    QI_OP("GlobalAveragePool", "", qi_nn_global_pool_infer, qi_nn_global_pool_prepare, qi_nn_global_pool_run,
          qi_nn_global_pool_release, QI_OPF_QUANT_POOL),
    QI_OP("GlobalMaxPool", "", qi_nn_global_pool_infer, qi_nn_global_pool_prepare, qi_nn_global_pool_run,
          qi_nn_global_pool_release, 0),
    QI_OP("AveragePool", "", qi_nn_pool_infer, qi_nn_pool_prepare, qi_nn_pool_run, qi_nn_pool_release,
          QI_OPF_QUANT_POOL),
    /* MaxPool also runs on uint8 / int8 */
    QI_OP("MaxPool", "", qi_nn_pool_infer, qi_nn_pool_prepare, qi_nn_pool_run, qi_nn_pool_release,
          QI_OPF_VALUE_PRESERVING),
    QI_OP("LpPool", "", qi_nn_pool_infer, qi_nn_pool_prepare, qi_nn_pool_run, qi_nn_pool_release, 0),
    QI_OP_MACS("Attention", "", qi_nn_attention_infer, qi_nn_attention_prepare, qi_nn_attention_run,
               qi_nn_attention_release, 0, qi_macs_attention),
    QI_OP_MACS("FusedAttention", "ai.qinfer", qi_nn_attention_fused_infer, qi_nn_attention_fused_prepare,
               qi_nn_attention_fused_run, qi_nn_attention_fused_release, 0, qi_macs_attention_fused),
    {0},
};
