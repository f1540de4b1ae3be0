/* Two parallel loops: pack every key-value head's keys (K^T, padded: kernels/f32-attention/attention.h), then
 * run the kernel on tasks of up to TASK_BLOCKS row blocks of one head, each with its own score block in scratch.
 * The split depends on the shapes only and each row is computed by one kernel call, so results do not depend on
 * the thread count. */
#include "engine/ops/nn_attention_heads.h"

#include <stdint.h>

enum { TASK_BLOCKS = 4 }; /* row blocks (of cfg->mr rows) per task */

static size_t ldk_of(const qi_attn_heads *h) { return qi_f32_attention_ldk(h->cfg, h->kv_len); }
static size_t kv_heads(const qi_attn_heads *h) { return h->batch * (h->heads / h->kv_group); }
static size_t task_rows(const qi_attn_heads *h) { return TASK_BLOCKS * h->cfg->mr; }
static size_t tasks_per_head(const qi_attn_heads *h) { return (h->q_len + task_rows(h) - 1) / task_rows(h); }

size_t qi_attn_heads_scratch(const qi_attn_heads *h) {
  /* saturating: shapes come from the model; a product past INT64_MAX answers SIZE_MAX, which no arena can hold */
  const int64_t ldk = (int64_t)ldk_of(h);
  const int64_t tasks = qi_mul_sat(qi_mul_sat((int64_t)h->batch, (int64_t)h->heads), (int64_t)tasks_per_head(h));
  const int64_t keys = qi_mul_sat(qi_mul_sat((int64_t)kv_heads(h), (int64_t)h->head_size), ldk);
  const int64_t floats = qi_add_sat(keys, qi_mul_sat(qi_mul_sat(tasks, (int64_t)h->cfg->mr), ldk));
  return floats >= INT64_MAX / 4 || (uint64_t)floats > SIZE_MAX / sizeof(float) ? SIZE_MAX : (size_t)floats * sizeof(float);
}

typedef struct heads_task {
  const qi_attn_heads *h;
  const float *q, *k, *v;
  float *y, *kt, *work;
  size_t ldk;
} heads_task;

static void pack_heads(void *arg, size_t begin, size_t end) {
  const heads_task *t = arg;
  const qi_attn_heads *h = t->h;
  const size_t per_batch = h->heads / h->kv_group;
  for (size_t i = begin; i < end; i++) {
    const float *k = t->k + (i / per_batch) * h->k.b + (i % per_batch) * h->k.h;
    qi_f32_attention_pack_k(h->kv_len, h->head_size, k, h->k.s, h->k.d, t->ldk, t->kt + i * h->head_size * t->ldk);
  }
}

static void run_tasks(void *arg, size_t begin, size_t end) {
  const heads_task *t = arg;
  const qi_attn_heads *h = t->h;
  const size_t per_head = tasks_per_head(h), per_batch = h->heads / h->kv_group;
  for (size_t i = begin; i < end; i++) {
    const size_t head = i / per_head, b = head / h->heads, hh = head % h->heads, kvh = hh / h->kv_group;
    const size_t row0 = (i % per_head) * task_rows(h);
    const size_t rows = h->q_len - row0 < task_rows(h) ? h->q_len - row0 : task_rows(h);
    const qi_f32_attention_args a = {
        .rows = rows, .kv_len = h->kv_len, .head_size = h->head_size, .v_head_size = h->v_head_size,
        .scale = h->scale,
        .q = t->q + b * h->q.b + hh * h->q.h + row0 * h->q.s, .q_row = h->q.s, .q_col = h->q.d,
        .kt = t->kt + (b * per_batch + kvh) * h->head_size * t->ldk, .ldk = t->ldk,
        .v = t->v + b * h->v.b + kvh * h->v.h, .v_row = h->v.s,
        .y = t->y + b * h->y.b + hh * h->y.h + row0 * h->y.s, .y_row = h->y.s,
        .work = t->work + i * h->cfg->mr * t->ldk};
    h->cfg->ukernel(&a);
  }
}

void qi_attn_heads_run(const qi_attn_heads *h, const float *q, const float *k, const float *v, float *y,
                       void *scratch, qi_threadpool *pool) {
  if (h->batch == 0 || h->heads == 0 || h->q_len == 0) return;
  const size_t ldk = ldk_of(h);
  float *kt = scratch;
  heads_task t = {.h = h, .q = q, .k = k, .v = v, .y = y, .kt = kt, .work = kt + kv_heads(h) * h->head_size * ldk,
                  .ldk = ldk};
  qi_parallel_for(pool, kv_heads(h), 1, pack_heads, &t);
  qi_parallel_for(pool, h->batch * h->heads * tasks_per_head(h), 1, run_tasks, &t);
}
