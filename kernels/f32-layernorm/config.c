#include "kernels/f32-layernorm/layernorm.h"

static const qi_f32_layernorm_config scalar_config = {
    .rmeanvar = qi_f32_rmeanvar_ukernel__scalar,
    .layernorm = qi_f32_layernorm_ukernel__scalar,
};

const qi_f32_layernorm_config *qi_f32_layernorm_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_config;
}
