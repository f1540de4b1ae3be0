#include "kernels/f32-im2col/f32-im2col.h"

static const qi_f32_im2col_config scalar_config = {
    .im2col = QI_KERNEL(qi_f32_im2col_chw__scalar),
    .im2col_tile = QI_KERNEL(qi_f32_im2col_tile_chw__scalar),
    .col2im = QI_KERNEL(qi_f32_col2im_chw__scalar),
    .im2col_nd = QI_KERNEL(qi_f32_im2col_nd__scalar),
    .col2im_nd = QI_KERNEL(qi_f32_col2im_nd__scalar),
    .features = 0,
};

const qi_f32_im2col_config *qi_f32_im2col_config_get(qi_isa isa) {
  (void)isa; /* every path uses the scalar kernels until vector ones land */
  return &scalar_config;
}
