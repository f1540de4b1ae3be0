#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-pool/pool-simd.h"

QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__avx2) { qi_f32_maxpool2d_simd(g, input, output); }
