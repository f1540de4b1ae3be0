/* FP32 scaled dot-product attention of one head, tiled by query rows:
 *   Y[i, :] = sum_j p[i, j] V[j, :],  p[i, :] = softmax_j(scale * <Q[i, :], K[j, :]>)
 * for the `rows` query rows of one (batch, head). K comes packed (qi_f32_attention_pack_k) as K^T with its key
 * axis padded to a multiple of the config's nr: kt[d * ldk + j], zeros past kv_len. The kernel takes mr query
 * rows at a time: their scores (mr x ldk floats of `work`, so the block stays in L1), the softmax in place, then
 * the block times V; 1 / sum is applied to the output row. Each row's result depends on that row alone, so
 * results do not depend on how rows are split between calls or threads. */
#ifndef QI_F32_ATTENTION_H
#define QI_F32_ATTENTION_H

#include <stddef.h>

#include "kernels/ukernel.h"

typedef struct qi_f32_attention_args {
  size_t rows;                /* query rows */
  size_t kv_len;              /* keys, >= 1 */
  size_t head_size;           /* features of a query / key row, >= 1 */
  size_t v_head_size;         /* features of a value / output row, >= 1 */
  float scale;                /* applied to every dot product */
  const float *q;             /* feature d of query row i: q[i * q_row + d * q_col] */
  size_t q_row, q_col;
  const float *kt;            /* packed keys: kt[d * ldk + j] */
  size_t ldk;                 /* kv_len rounded up to a multiple of the config's nr */
  const float *v;             /* v[j * v_row + d] (features contiguous) */
  size_t v_row;
  float *y;                   /* y[i * y_row + d] (features contiguous) */
  size_t y_row;
  float *work;                /* mr * ldk floats of scratch */
} qi_f32_attention_args;

#define QI_F32_ATTENTION_UKERNEL_DECL(fn) void fn(const qi_f32_attention_args *a)
typedef QI_F32_ATTENTION_UKERNEL_DECL((*qi_f32_attention_ukernel_fn));

QI_F32_ATTENTION_UKERNEL_DECL(qi_f32_attention_ukernel_1x1__scalar);
QI_F32_ATTENTION_UKERNEL_DECL(qi_f32_attention_ukernel_6x16__avx2);
QI_F32_ATTENTION_UKERNEL_DECL(qi_f32_attention_ukernel_6x32__avx512f);
QI_F32_ATTENTION_UKERNEL_DECL(qi_f32_attention_ukernel_8x8__neon); /* aarch64 */
QI_F32_ATTENTION_UKERNEL_DECL(qi_f32_attention_ukernel_4x8__neon); /* 32-bit Arm */

/* kt[d * ldk + j] = k[j * k_row + d * k_col] for j < kv_len, 0 for kv_len <= j < ldk. */
void qi_f32_attention_pack_k(size_t kv_len, size_t head_size, const float *k, size_t k_row, size_t k_col, size_t ldk,
                             float *kt);

typedef struct qi_f32_attention_config {
  qi_f32_attention_ukernel_fn ukernel;
  const char *name;
  uint32_t features; /* QI_CPU_* bits the kernel needs */
  size_t mr;         /* query rows per block (work holds mr * ldk floats) */
  size_t nr;         /* ldk must be a multiple of nr */
} qi_f32_attention_config;
QI_KERNEL_PAIR(qi_f32_attention_config, ukernel, name);

/* kv_len rounded up to a multiple of cfg->nr. */
static inline size_t qi_f32_attention_ldk(const qi_f32_attention_config *cfg, size_t kv_len) {
  return (kv_len + cfg->nr - 1) / cfg->nr * cfg->nr;
}

/* Never NULL; paths without a kernel of their own fall back along the family. */
const qi_f32_attention_config *qi_f32_attention_config_get(qi_isa isa);
/* Every config of the family built into this binary, scalar first; *count receives their number. */
const qi_f32_attention_config *const *qi_f32_attention_config_list(size_t *count);

#endif /* QI_F32_ATTENTION_H */
