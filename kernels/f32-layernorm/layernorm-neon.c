/* Mean / variance and layer normalization on NEON (aarch64 and armv7 + VFPv4): qi_f32_rmeanvar_ukernel__neon,
 * qi_f32_layernorm_ukernel__neon (body: layernorm-simd.h, 4 lanes). */
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-layernorm/layernorm-simd.h"
