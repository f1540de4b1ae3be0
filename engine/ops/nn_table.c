#include "engine/ops/nn_ops.h"

#define QI_NN_OP(type, name, flags) \
  {type, "", qi_nn_##name##_infer, qi_nn_##name##_prepare, qi_nn_##name##_run, qi_nn_##name##_release, flags}

/* Each entry: {op_type, domain, infer, prepare, run, release, flags}; the code lives in nn_<name>.c. */
const qi_op qi_ops_nn[] = {
    QI_NN_OP("Conv", conv, QI_OPF_FUSE_ACT),
    QI_NN_OP("ConvTranspose", conv_transpose, 0),
    QI_NN_OP("Gemm", gemm, QI_OPF_FUSE_ACT),
    QI_NN_OP("MatMul", matmul, 0),
    QI_NN_OP("GlobalAveragePool", global_pool, 0),
    QI_NN_OP("GlobalMaxPool", global_pool, 0),
    QI_NN_OP("AveragePool", pool, 0),
    QI_NN_OP("MaxPool", pool, 0),
    QI_NN_OP("LpPool", pool, 0),
    QI_NN_OP("Attention", attention, 0),
    {0},
};
