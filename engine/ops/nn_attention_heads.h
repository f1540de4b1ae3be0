/* Runs the f32 attention kernel (kernels/f32-attention) over a grid of heads: the driver shared by the internal
 * FusedAttention op (nn_attention_fused.c, made by engine/pass_fuse_attention.c) and the ONNX Attention op's
 * plain case (nn_attention.c). Head (b, h) reads
 *   query i, feature d   q[b * q.b + h * q.h + i * q.s + d * q.d]
 *   key j, feature d     k[b * k.b + (h / kv_group) * k.h + j * k.s + d * k.d]
 *   value j, feature d   v[b * v.b + (h / kv_group) * v.h + j * v.s + d]        (features contiguous)
 * and writes y[b * y.b + h * y.h + i * y.s + d] = sum_j softmax_j(scale <q_i, k_j>) v[j, d]. */
#ifndef QI_NN_ATTENTION_HEADS_H
#define QI_NN_ATTENTION_HEADS_H

#include "engine/op.h"
#include "kernels/f32-attention/attention.h"

typedef struct qi_attn_strides {
  size_t b, h, s, d; /* element strides of batch, head, sequence and feature */
} qi_attn_strides;

typedef struct qi_attn_heads {
  size_t batch, heads, kv_group; /* heads / kv_group key-value heads (grouped-query attention; 1: one each) */
  size_t q_len, kv_len, head_size, v_head_size; /* kv_len, head_size, v_head_size >= 1 */
  float scale;
  qi_attn_strides q, k, v, y; /* v.d and y.d are 1 */
  const qi_f32_attention_config *cfg;
} qi_attn_heads;

/* Scratch bytes of qi_attn_heads_run: every key-value head's packed keys and one score block per task; SIZE_MAX
 * when that does not fit a size_t (the caller fails). */
size_t qi_attn_heads_scratch(const qi_attn_heads *h);
void qi_attn_heads_run(const qi_attn_heads *h, const float *q, const float *k, const float *v, float *y,
                       void *scratch, qi_threadpool *pool);

#endif /* QI_NN_ATTENTION_HEADS_H */
