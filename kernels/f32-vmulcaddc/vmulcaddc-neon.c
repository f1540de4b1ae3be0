#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-vmulcaddc/vmulcaddc-simd.h"

QI_F32_VMULCADDC_UKERNEL_DECL(qi_f32_vmulcaddc_ukernel__neon) { qi_f32_vmulcaddc_simd(n, x, scale, bias, y); }
