#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-pool/pool-simd.h"

QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__neon) { qi_f32_maxpool2d_simd(g, input, output); }
