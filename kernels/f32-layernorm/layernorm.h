/* FP32 normalization over contiguous rows. */
#ifndef QI_F32_LAYERNORM_H
#define QI_F32_LAYERNORM_H

#include <stddef.h>

#include "kernels/ukernel.h"

/* Mean and (biased) variance of x[0..n), n > 0, in two passes so large means do not cancel. */
#define QI_F32_RMEANVAR_UKERNEL_DECL(fn) void fn(size_t n, const float *x, float *mean, float *var)
/* y = (x - mean) / sqrt(var + eps) * scale + bias over one row; bias may be NULL. Also returns the row's mean
 * and 1/sqrt(var + eps). y may equal x. */
#define QI_F32_LAYERNORM_UKERNEL_DECL(fn)                                                                      \
  void fn(size_t n, const float *x, const float *scale, const float *bias, float eps, float *y, float *mean,    \
          float *inv_std)
typedef QI_F32_RMEANVAR_UKERNEL_DECL((*qi_f32_rmeanvar_ukernel_fn));
typedef QI_F32_LAYERNORM_UKERNEL_DECL((*qi_f32_layernorm_ukernel_fn));

QI_F32_RMEANVAR_UKERNEL_DECL(qi_f32_rmeanvar_ukernel__scalar);
QI_F32_LAYERNORM_UKERNEL_DECL(qi_f32_layernorm_ukernel__scalar);
QI_F32_RMEANVAR_UKERNEL_DECL(qi_f32_rmeanvar_ukernel__avx2);
QI_F32_LAYERNORM_UKERNEL_DECL(qi_f32_layernorm_ukernel__avx2);
QI_F32_RMEANVAR_UKERNEL_DECL(qi_f32_rmeanvar_ukernel__avx512f);
QI_F32_LAYERNORM_UKERNEL_DECL(qi_f32_layernorm_ukernel__avx512f);
QI_F32_RMEANVAR_UKERNEL_DECL(qi_f32_rmeanvar_ukernel__neon);
QI_F32_LAYERNORM_UKERNEL_DECL(qi_f32_layernorm_ukernel__neon);

typedef struct qi_f32_layernorm_config {
  qi_f32_rmeanvar_ukernel_fn rmeanvar;
  const char *name_rmeanvar;
  qi_f32_layernorm_ukernel_fn layernorm;
  const char *name_layernorm;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_layernorm_config;
QI_KERNEL_PAIR(qi_f32_layernorm_config, rmeanvar, name_rmeanvar);
QI_KERNEL_PAIR(qi_f32_layernorm_config, layernorm, name_layernorm);

/* Never NULL; paths without kernels of their own fall back (AVX-VNNI to AVX2). */
const qi_f32_layernorm_config *qi_f32_layernorm_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_layernorm_config *const *qi_f32_layernorm_config_list(size_t *count);

#endif /* QI_F32_LAYERNORM_H */
