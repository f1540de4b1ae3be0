/* Mean / variance and layer normalization on AVX-512 F: qi_f32_rmeanvar_ukernel__avx512f,
 * qi_f32_layernorm_ukernel__avx512f (body: layernorm-simd.h). */
#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-layernorm/layernorm-simd.h"
