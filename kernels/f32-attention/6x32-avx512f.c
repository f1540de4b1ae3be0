/* The attention kernel on zmm (16 floats), 6 query rows x 32 keys a tile: attention-simd.h. */
#include "kernels/f32-vec/vec-avx512f.h"

#define QI_ATTN_FN qi_f32_attention_ukernel_6x32__avx512f
#define QI_ATTN_MR 6
#include "kernels/f32-attention/attention-simd.h"
