/* FP32 softmax over contiguous rows. y may equal x. */
#ifndef QI_F32_SOFTMAX_H
#define QI_F32_SOFTMAX_H

#include <stddef.h>

#include "kernels/isa.h"

/* y = exp(x - max) / sum(exp(x - max)) over one row of n > 0 elements. */
typedef void (*qi_f32_softmax_ukernel_fn)(size_t n, const float *x, float *y);

void qi_f32_softmax_ukernel__scalar(size_t n, const float *x, float *y);
/* y = x - max - log(sum(exp(x - max))). */
void qi_f32_logsoftmax_ukernel__scalar(size_t n, const float *x, float *y);

typedef struct qi_f32_softmax_config {
  qi_f32_softmax_ukernel_fn softmax, logsoftmax;
} qi_f32_softmax_config;

const qi_f32_softmax_config *qi_f32_softmax_config_get(qi_isa isa);

#endif /* QI_F32_SOFTMAX_H */
