#include "kernels/f32-dwconv/f32-dwconv.h"

static const qi_f32_dwconv_config scalar = {.ukernel_3x3 = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_3x3__scalar),
                                            .ukernel_any = QI_KERNEL(qi_f32_dwconv_minmax_ukernel_any__scalar),
                                            .features = 0};

static const qi_f32_dwconv_config *const list[] = {&scalar};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_dwconv_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
};

QI_ISA_CONFIG_GETTERS(qi_f32_dwconv)
