#include "engine/ops/reduce_ops.h"

#define QI_ENTRY(op_type, fn, prepare, flags) \
  {op_type, "", qi_reduce_##fn##_infer, prepare, qi_reduce_##fn##_run, NULL, flags}

const qi_op qi_ops_reduce[] = {
    QI_ENTRY("Softmax", softmax, NULL, 0),
    QI_ENTRY("LogSoftmax", softmax, NULL, 0),
    QI_ENTRY("LayerNormalization", layernorm, qi_reduce_layernorm_prepare, 0),
    QI_ENTRY("InstanceNormalization", instancenorm, NULL, 0),
    QI_ENTRY("BatchNormalization", batchnorm, qi_reduce_batchnorm_prepare, QI_OPF_FUSE_ACT),
    QI_ENTRY("ReduceSum", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceMean", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceMax", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceMin", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceProd", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceL1", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceL2", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceSumSquare", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceLogSum", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ReduceLogSumExp", reduce, qi_reduce_reduce_prepare, 0),
    QI_ENTRY("ArgMax", arg, NULL, 0),
    QI_ENTRY("ArgMin", arg, NULL, 0),
    {0},
};
