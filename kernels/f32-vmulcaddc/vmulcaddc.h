/* y[i] = x[i] * scale + bias for one channel's contiguous run (BatchNormalization, InstanceNormalization). */
#ifndef QI_F32_VMULCADDC_H
#define QI_F32_VMULCADDC_H

#include <stddef.h>

#include "kernels/ukernel.h"

#define QI_F32_VMULCADDC_UKERNEL_DECL(fn) void fn(size_t n, const float *x, float scale, float bias, float *y)
typedef QI_F32_VMULCADDC_UKERNEL_DECL((*qi_f32_vmulcaddc_ukernel_fn));

QI_F32_VMULCADDC_UKERNEL_DECL(qi_f32_vmulcaddc_ukernel__scalar);
QI_F32_VMULCADDC_UKERNEL_DECL(qi_f32_vmulcaddc_ukernel__avx2);
QI_F32_VMULCADDC_UKERNEL_DECL(qi_f32_vmulcaddc_ukernel__avx512f);
QI_F32_VMULCADDC_UKERNEL_DECL(qi_f32_vmulcaddc_ukernel__neon);

typedef struct qi_f32_vmulcaddc_config {
  qi_f32_vmulcaddc_ukernel_fn ukernel;
  const char *name;
  uint32_t features; /* QI_CPU_* bits the kernel needs */
} qi_f32_vmulcaddc_config;
QI_KERNEL_PAIR(qi_f32_vmulcaddc_config, ukernel, name);

/* Never NULL; paths without a kernel of their own fall back along their family. */
const qi_f32_vmulcaddc_config *qi_f32_vmulcaddc_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_vmulcaddc_config *const *qi_f32_vmulcaddc_config_list(size_t *count);

#endif /* QI_F32_VMULCADDC_H */
