/* The attention kernel on aarch64's q registers (4 floats), 8 query rows x 8 keys a tile: attention-simd.h
 * (16 accumulators of the 32 registers; 32-bit Arm, with 16, takes 4x8-neon.c). */
#if defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_ATTN_FN qi_f32_attention_ukernel_8x8__neon
#define QI_ATTN_MR 8
#include "kernels/f32-attention/attention-simd.h"
#endif /* __aarch64__ */
