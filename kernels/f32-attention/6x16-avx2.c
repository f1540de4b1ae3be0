/* The attention kernel on ymm (8 floats), 6 query rows x 16 keys a tile: attention-simd.h. */
#include "kernels/f32-vec/vec-avx2.h"

#define QI_ATTN_FN qi_f32_attention_ukernel_6x16__avx2
#define QI_ATTN_MR 6
#include "kernels/f32-attention/attention-simd.h"
