#include "engine/op.h"
#include "engine/ops/quant_conv.h"

/* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QGemm (com.microsoft). Each entry: {op_type, domain, infer, prepare, run, release, flags}. */
const qi_op qi_ops_quant_conv[] = {
    {"QLinearConv", "", qi_qlinearconv_infer, qi_qlinearconv_prepare, qi_qlinearconv_run, qi_qconv_release,
     QI_OPF_FUSE_ACT},
    {"ConvInteger", "", qi_convinteger_infer, qi_convinteger_prepare, qi_convinteger_run, qi_qconv_release, 0},
    {"QLinearMatMul", "", qi_qlinearmatmul_infer, qi_qlinearmatmul_prepare, qi_qlinearmatmul_run, qi_qmatmul_release,
     QI_OPF_FUSE_ACT},
    {"MatMulInteger", "", qi_matmulinteger_infer, qi_matmulinteger_prepare, qi_matmulinteger_run, qi_qmatmul_release,
     0},
    {"QGemm", "com.microsoft", qi_qgemm_infer, qi_qgemm_prepare, qi_qgemm_run, qi_qmatmul_release, QI_OPF_FUSE_ACT},
    {0},
};
