#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-pool/pool-simd.h"

QI_F32_MAXPOOL2D_UKERNEL_DECL(qi_f32_maxpool2d_chw_ukernel__avx512f) { qi_f32_maxpool2d_simd(g, input, output); }
