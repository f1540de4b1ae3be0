/* f32 attention (one head per call: QK^T, softmax, times V, tiled in the kernel), every config of
 * qi_f32_attention_config_list: keys packed once (not timed), then one call per head with every query row.
 * Ops: 2 rows kv_len (head_size + v_head_size), the two products (the softmax is not counted). */
#include "bench/common.h"

#include <stdio.h>

#include "bench/shapes.h"
#include "kernels/f32-attention/attention.h"

typedef struct attention_shape {
  size_t heads, tokens, head_size;
} attention_shape;

static const attention_shape shapes[] = {
    {1, 16, 64},  /* cache-resident */
    {3, 50, 64},  /* ViT-Ti/16 at 112x112: 3 heads, 50 tokens, head size 64 */
    {3, 197, 64}, /* ViT-Ti/16 at 224x224: 197 tokens */
};

typedef struct attention_bench_args {
  const qi_f32_attention_config *cfg;
  attention_shape sh;
} attention_bench_args;

static void bench_attention(qb_state *s, const void *arg) {
  const attention_bench_args *a = arg;
  const qi_f32_attention_config *cfg = a->cfg;
  const size_t h = a->sh.heads, t = a->sh.tokens, d = a->sh.head_size, ldk = qi_f32_attention_ldk(cfg, t);
  /* q, k, v: [tokens][heads * d] as a transformer's projections write them; y the same */
  float *q = qb_rand_f32(t * h * d, -1, 1), *k = qb_rand_f32(t * h * d, -1, 1), *v = qb_rand_f32(t * h * d, -1, 1);
  float *kt = qb_alloc(h * d * ldk * sizeof(float)), *y = qb_alloc(t * h * d * sizeof(float));
  float *work = qb_alloc(cfg->mr * ldk * sizeof(float));
  for (size_t hd = 0; hd < h; hd++) qi_f32_attention_pack_k(t, d, k + hd * d, h * d, 1, ldk, kt + hd * d * ldk);
  while (qb_keep_running(s))
    for (size_t hd = 0; hd < h; hd++) {
      const qi_f32_attention_args args = {.rows = t, .kv_len = t, .head_size = d, .v_head_size = d,
                                          .scale = 0.125f, .q = q + hd * d, .q_row = h * d, .q_col = 1,
                                          .kt = kt + hd * d * ldk, .ldk = ldk, .v = v + hd * d, .v_row = h * d,
                                          .y = y + hd * d, .y_row = h * d, .work = work};
      cfg->ukernel(&args);
    }
  qb_report(s, 4.0 * (double)(h * t * t * d), qb_peak_f32(cfg->features));
  qb_free(q), qb_free(k), qb_free(v), qb_free(kt), qb_free(y), qb_free(work);
}

void qb_register_f32_attention(void) {
  size_t count;
  const qi_f32_attention_config *const *list = qi_f32_attention_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&list[i]->name, 1, list[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(shapes); j++) {
      const attention_bench_args args = {list[i], shapes[j]};
      snprintf(shape, sizeof shape, "H:%zu/T:%zu/D:%zu", shapes[j].heads, shapes[j].tokens, shapes[j].head_size);
      QB_ADD(list[i]->name, list[i]->ukernel, shape, bench_attention, args);
    }
  }
}
