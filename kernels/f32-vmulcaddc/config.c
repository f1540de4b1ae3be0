#include "kernels/f32-vmulcaddc/vmulcaddc.h"

static const qi_f32_vmulcaddc_config scalar = {
    .ukernel = QI_KERNEL(qi_f32_vmulcaddc_ukernel__scalar),
    .features = 0,
};

static const qi_f32_vmulcaddc_config *const list[] = {&scalar};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_vmulcaddc_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
};

QI_ISA_CONFIG_GETTERS(qi_f32_vmulcaddc)
