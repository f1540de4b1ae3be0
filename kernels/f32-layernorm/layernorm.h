/* FP32 normalization over contiguous rows. */
#ifndef QI_F32_LAYERNORM_H
#define QI_F32_LAYERNORM_H

#include <stddef.h>

#include "kernels/isa.h"

/* Mean and (biased) variance of x[0..n), n > 0, in two passes so large means do not cancel. */
typedef void (*qi_f32_rmeanvar_ukernel_fn)(size_t n, const float *x, float *mean, float *var);
/* y = (x - mean) / sqrt(var + eps) * scale + bias over one row; bias may be NULL. Also returns the row's mean
 * and 1/sqrt(var + eps). y may equal x. */
typedef void (*qi_f32_layernorm_ukernel_fn)(size_t n, const float *x, const float *scale, const float *bias,
                                            float eps, float *y, float *mean, float *inv_std);

void qi_f32_rmeanvar_ukernel__scalar(size_t n, const float *x, float *mean, float *var);
void qi_f32_layernorm_ukernel__scalar(size_t n, const float *x, const float *scale, const float *bias, float eps,
                                      float *y, float *mean, float *inv_std);

typedef struct qi_f32_layernorm_config {
  qi_f32_rmeanvar_ukernel_fn rmeanvar;
  qi_f32_layernorm_ukernel_fn layernorm;
} qi_f32_layernorm_config;

const qi_f32_layernorm_config *qi_f32_layernorm_config_get(qi_isa isa);

#endif /* QI_F32_LAYERNORM_H */
