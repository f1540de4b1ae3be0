/* y[i] = x[i] * scale + bias for one channel's contiguous run (BatchNormalization, InstanceNormalization). */
#ifndef QI_F32_VMULCADDC_H
#define QI_F32_VMULCADDC_H

#include <stddef.h>

#include "kernels/isa.h"

typedef void (*qi_f32_vmulcaddc_ukernel_fn)(size_t n, const float *x, float scale, float bias, float *y);

void qi_f32_vmulcaddc_ukernel__scalar(size_t n, const float *x, float scale, float bias, float *y);

qi_f32_vmulcaddc_ukernel_fn qi_f32_vmulcaddc_config_get(qi_isa isa);

#endif /* QI_F32_VMULCADDC_H */
