/* The reduce op family: one row per op with its flags (engine/op.h); the code lives in reduce_<name>.c. */
#include "engine/ops/reduce_ops.h"

const qi_op qi_ops_reduce[] = {
    QI_OP("Softmax", "", qi_reduce_softmax_infer, NULL, qi_reduce_softmax_run, NULL, 0),
    QI_OP("LogSoftmax", "", qi_reduce_softmax_infer, NULL, qi_reduce_softmax_run, NULL, 0),
    QI_OP("LayerNormalization", "", qi_reduce_layernorm_infer, qi_reduce_layernorm_prepare,
          qi_reduce_layernorm_run, NULL, 0),
    QI_OP("InstanceNormalization", "", qi_reduce_instancenorm_infer, NULL, qi_reduce_instancenorm_run, NULL, 0),
    QI_OP("BatchNormalization", "", qi_reduce_batchnorm_infer, qi_reduce_batchnorm_prepare,
          qi_reduce_batchnorm_run, NULL, QI_OPF_FUSE_ACT),
    QI_OP("ReduceSum", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceMean", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceMax", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceMin", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceProd", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceL1", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceL2", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceSumSquare", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceLogSum", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ReduceLogSumExp", "", qi_reduce_reduce_infer, qi_reduce_reduce_prepare, qi_reduce_reduce_run, NULL, 0),
    QI_OP("ArgMax", "", qi_reduce_arg_infer, NULL, qi_reduce_arg_run, NULL, 0),
    QI_OP("ArgMin", "", qi_reduce_arg_infer, NULL, qi_reduce_arg_run, NULL, 0),
    {0},
};
