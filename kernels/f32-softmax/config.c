#include "kernels/f32-softmax/softmax.h"

static const qi_f32_softmax_config scalar_config = {
    .softmax = qi_f32_softmax_ukernel__scalar,
    .logsoftmax = qi_f32_logsoftmax_ukernel__scalar,
};

const qi_f32_softmax_config *qi_f32_softmax_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_config;
}
