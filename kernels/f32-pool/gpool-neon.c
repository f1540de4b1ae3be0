#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-pool/pool-simd.h"

QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gavgpool_ukernel__neon) { qi_f32_gavgpool_simd(rows, length, input, output); }
QI_F32_GPOOL_UKERNEL_DECL(qi_f32_gmaxpool_ukernel__neon) { qi_f32_gmaxpool_simd(rows, length, input, output); }
