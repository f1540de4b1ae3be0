#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-pool/pool-simd.h"

QI_F32_AVGPOOL2D_UKERNEL_DECL(qi_f32_avgpool2d_chw_ukernel__neon) {
  qi_f32_avgpool2d_simd(g, count_include_pad, input, output);
}
