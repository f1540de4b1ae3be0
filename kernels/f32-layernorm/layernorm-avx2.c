/* Mean / variance and layer normalization on AVX2 + FMA: qi_f32_rmeanvar_ukernel__avx2,
 * qi_f32_layernorm_ukernel__avx2 (body: layernorm-simd.h). */
#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-layernorm/layernorm-simd.h"
