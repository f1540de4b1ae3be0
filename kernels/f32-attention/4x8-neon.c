/* The attention kernel on 32-bit Arm's q registers (4 floats), 4 query rows x 8 keys a tile: attention-simd.h
 * (8 accumulators of the 16 registers; aarch64 takes 8x8-neon.c). */
#if !defined(__aarch64__)
#include "kernels/f32-vec/vec-neon.h"

#define QI_ATTN_FN qi_f32_attention_ukernel_4x8__neon
#define QI_ATTN_MR 4
#include "kernels/f32-attention/attention-simd.h"
#endif /* !__aarch64__ */
