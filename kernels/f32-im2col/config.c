#include "kernels/f32-im2col/f32-im2col.h"

static const qi_f32_im2col_config scalar = {
    .im2col = QI_KERNEL(qi_f32_im2col_chw__scalar),
    .im2col_tile = QI_KERNEL(qi_f32_im2col_tile_chw__scalar),
    .col2im = QI_KERNEL(qi_f32_col2im_chw__scalar),
    .im2col_nd = QI_KERNEL(qi_f32_im2col_nd__scalar),
    .col2im_nd = QI_KERNEL(qi_f32_col2im_nd__scalar),
    .features = 0,
};

static const qi_f32_im2col_config *const list[] = {&scalar};

/* Indexed by qi_isa; paths without kernels of their own fall back along their family (qi_isa_fallback). */
static const qi_f32_im2col_config *const configs[QI_ISA_COUNT] = {
    [QI_ISA_SCALAR] = &scalar,
};

QI_ISA_CONFIG_GETTERS(qi_f32_im2col)
