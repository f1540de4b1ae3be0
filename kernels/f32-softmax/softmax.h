/* FP32 softmax over contiguous rows. y may equal x. */
#ifndef QI_F32_SOFTMAX_H
#define QI_F32_SOFTMAX_H

#include <stddef.h>

#include "kernels/ukernel.h"

/* softmax: y = exp(x - max) / sum(exp(x - max)) over one row of n > 0 elements;
 * logsoftmax: y = x - max - log(sum(exp(x - max))). */
#define QI_F32_SOFTMAX_UKERNEL_DECL(fn) void fn(size_t n, const float *x, float *y)
typedef QI_F32_SOFTMAX_UKERNEL_DECL((*qi_f32_softmax_ukernel_fn));

QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_softmax_ukernel__scalar);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_logsoftmax_ukernel__scalar);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_softmax_ukernel__avx2);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_logsoftmax_ukernel__avx2);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_softmax_ukernel__avx512f);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_logsoftmax_ukernel__avx512f);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_softmax_ukernel__neon);
QI_F32_SOFTMAX_UKERNEL_DECL(qi_f32_logsoftmax_ukernel__neon);

typedef struct qi_f32_softmax_config {
  qi_f32_softmax_ukernel_fn softmax;
  const char *name_softmax;
  qi_f32_softmax_ukernel_fn logsoftmax;
  const char *name_logsoftmax;
  uint32_t features; /* QI_CPU_* bits the kernels need */
} qi_f32_softmax_config;
QI_KERNEL_PAIR(qi_f32_softmax_config, softmax, name_softmax);
QI_KERNEL_PAIR(qi_f32_softmax_config, logsoftmax, name_logsoftmax);

/* Never NULL; paths without kernels of their own fall back (AVX-VNNI to AVX2). */
const qi_f32_softmax_config *qi_f32_softmax_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_softmax_config *const *qi_f32_softmax_config_list(size_t *count);

#endif /* QI_F32_SOFTMAX_H */
