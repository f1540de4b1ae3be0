/* Attention (opset 23, default domain): scaled dot-product attention with MHA / GQA / MQA head sharing.
 *
 * For batch b, query head h (using key/value head h / (q_heads / kv_heads)) and query position i, over the
 * total_len = past_len + kv_len keys j (the past_key rows first, then K's):
 *   s[j] = scale * <Q[b,h,i,:], K[b,h',j,:]>              (scale defaults to 1/sqrt(head_size))
 *   s[j] = softcap * tanh(s[j] / softcap)                 (when softcap > 0)
 *   s[j] += mask[b,h,i,j]  (float mask; a bool mask adds -inf where false; broadcast from its trailing dims)
 *   s[j] = -inf when is_causal and j > i + past_len
 *   p = softmax(s) with max subtraction, in float; a row with every s[j] = -inf gives p = 0 (a zero output row)
 *   Y[b,h,i,:] = sum_j p[j] * V[b,h',j,:]
 * Inputs are 4-D [B, heads, seq, head_size] or 3-D [B, seq, heads * head_size] (q_num_heads / kv_num_heads).
 * Outputs: Y, present_key / present_value (past rows then new rows, 4-D), and qk_matmul_output in the stage
 * qk_matmul_output_mode selects (0: scaled QK^T, 1: after softcap, 2: after the masks, 3: after softmax).
 * Rows are independent and split over the pool; the score rows live in scratch. Without mask, causal, softcap,
 * past or qk_matmul_output the heads run the f32 attention kernel instead (nn_attention_heads.h: score blocks in
 * cache, SIMD), the rows below otherwise. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_attention_heads.h"
#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"

typedef struct strides4 {
  size_t b, h, s; /* element strides of batch, head and sequence; the feature stride is 1 */
} strides4;

typedef struct attn_shape {
  size_t batch, q_heads, kv_heads, q_len, kv_len, past_len, total_len, head_size, v_head_size;
  bool three_d;
  strides4 q, k, v, y;
  bool has_mask, mask_is_bool;
  size_t mask_stride[4]; /* of [B, Hq, Sq, T], 0 where the mask broadcasts */
} attn_shape;

typedef struct attn_params {
  float scale, softcap;
  bool causal;
  int qk_mode;
} attn_params;

static strides4 layout(bool three_d, size_t heads, size_t len, size_t size) {
  if (three_d) return (strides4){len * heads * size, size, heads * size};
  return (strides4){heads * len * size, len * size, size};
}

static qi_status attn_shape_of(qi_graph *g, const qi_node *n, attn_shape *a, attn_params *p, qi_error *err) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < 3; i++) QI_CHECK(qi_nn_check_float_input(g, n, i, 3, 4, err));
  const qi_tensor *q = qi_node_in(g, n, 0), *k = qi_node_in(g, n, 1), *v = qi_node_in(g, n, 2);
  if (k->rank != q->rank || v->rank != q->rank)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "Q, K and V must have the same rank (%d, %d, %d)", q->rank, k->rank,
                        v->rank);
  a->three_d = q->rank == 3;
  a->batch = (size_t)q->dims[0];
  if (k->dims[0] != q->dims[0] || v->dims[0] != q->dims[0])
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "Q, K and V have different batch sizes");
  const int64_t qh = qi_attr_int(n, "q_num_heads", 0), kvh = qi_attr_int(n, "kv_num_heads", 0);
  if (a->three_d) {
    if (qh < 1 || kvh < 1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "3-D inputs need q_num_heads and kv_num_heads >= 1");
    if (q->dims[2] % qh || k->dims[2] % kvh || v->dims[2] % kvh)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "hidden sizes are not multiples of the head counts");
    a->q_heads = (size_t)qh;
    a->kv_heads = (size_t)kvh;
    a->q_len = (size_t)q->dims[1];
    a->kv_len = (size_t)k->dims[1];
    if (v->dims[1] != k->dims[1]) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "K and V sequence lengths differ");
    a->head_size = (size_t)(q->dims[2] / qh);
    if (k->dims[2] / kvh != (int64_t)a->head_size)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "Q and K head sizes differ");
    a->v_head_size = (size_t)(v->dims[2] / kvh);
  } else {
    a->q_heads = (size_t)q->dims[1];
    a->kv_heads = (size_t)k->dims[1];
    a->q_len = (size_t)q->dims[2];
    a->kv_len = (size_t)k->dims[2];
    a->head_size = (size_t)q->dims[3];
    a->v_head_size = (size_t)v->dims[3];
    if (v->dims[1] != k->dims[1] || v->dims[2] != k->dims[2] || k->dims[3] != q->dims[3])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "K must be [B, kv_heads, kv_len, head_size] and V [B, kv_heads, kv_len, v_head_size]");
  }
  if (a->kv_heads == 0 || a->q_heads % a->kv_heads != 0)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "%zu query heads are not a multiple of %zu key/value heads",
                        a->q_heads, a->kv_heads);
  if (a->head_size == 0) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "head size is 0");
  const qi_tensor *pk = qi_node_in(g, n, 4), *pv = qi_node_in(g, n, 5);
  if ((pk == NULL) != (pv == NULL))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "past_key and past_value must be given together");
  if (pk) {
    QI_CHECK(qi_nn_check_float_input(g, n, 4, 4, 4, err));
    QI_CHECK(qi_nn_check_float_input(g, n, 5, 4, 4, err));
    a->past_len = (size_t)pk->dims[2];
    if ((size_t)pk->dims[0] != a->batch || (size_t)pk->dims[1] != a->kv_heads || (size_t)pk->dims[3] != a->head_size ||
        (size_t)pv->dims[0] != a->batch || (size_t)pv->dims[1] != a->kv_heads || (size_t)pv->dims[2] != a->past_len ||
        (size_t)pv->dims[3] != a->v_head_size)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "past_key / past_value shapes do not match K / V");
  }
  a->total_len = a->past_len + a->kv_len;
  a->q = layout(a->three_d, a->q_heads, a->q_len, a->head_size);
  a->k = layout(a->three_d, a->kv_heads, a->kv_len, a->head_size);
  a->v = layout(a->three_d, a->kv_heads, a->kv_len, a->v_head_size);
  a->y = layout(a->three_d, a->q_heads, a->q_len, a->v_head_size);
  const qi_tensor *mask = qi_node_in(g, n, 3);
  if (mask) {
    if (mask->dtype != QINFER_DTYPE_BOOL && mask->dtype != QINFER_DTYPE_FLOAT)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "attn_mask of type %s; only bool and float are supported",
                          qi_dtype_name(mask->dtype));
    if (mask->rank < 1 || mask->rank > 4)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "attn_mask has rank %d, expected 1..4", mask->rank);
    a->has_mask = true;
    a->mask_is_bool = mask->dtype == QINFER_DTYPE_BOOL;
    const size_t full[4] = {a->batch, a->q_heads, a->q_len, a->total_len};
    size_t stride = 1;
    for (int i = 3; i >= 0; i--) {
      const int mi = i - (4 - mask->rank);
      const size_t d = mi >= 0 ? (size_t)mask->dims[mi] : 1;
      if (d != 1 && d != full[i])
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "attn_mask dimension %d (%zu) does not broadcast to %zu", mi, d,
                            full[i]);
      a->mask_stride[i] = d == 1 ? 0 : stride;
      stride *= d;
    }
  }
  p->scale = qi_attr_float(n, "scale", 1.0f / sqrtf((float)a->head_size));
  p->softcap = qi_attr_float(n, "softcap", 0.0f);
  p->causal = qi_attr_int(n, "is_causal", 0) != 0;
  const int64_t mode = qi_attr_int(n, "qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3 || p->softcap < 0.0f || !isfinite(p->scale))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "qk_matmul_output_mode, softcap or scale out of range");
  p->qk_mode = (int)mode;
  return QINFER_OK;
}

qi_status qi_nn_attention_infer(qi_graph *g, qi_node *n, qi_error *err) {
  attn_shape a;
  attn_params p;
  QI_CHECK(attn_shape_of(g, n, &a, &p, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  if (a.three_d) {
    const int64_t dims[3] = {(int64_t)a.batch, (int64_t)a.q_len, (int64_t)(a.q_heads * a.v_head_size)};
    qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, 3, dims);
  } else {
    const int64_t dims[4] = {(int64_t)a.batch, (int64_t)a.q_heads, (int64_t)a.q_len, (int64_t)a.v_head_size};
    qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, 4, dims);
  }
  qi_tensor *pk = qi_node_out(g, n, 1), *pv = qi_node_out(g, n, 2), *qk = qi_node_out(g, n, 3);
  const int64_t kd[4] = {(int64_t)a.batch, (int64_t)a.kv_heads, (int64_t)a.total_len, (int64_t)a.head_size};
  const int64_t vd[4] = {(int64_t)a.batch, (int64_t)a.kv_heads, (int64_t)a.total_len, (int64_t)a.v_head_size};
  const int64_t qd[4] = {(int64_t)a.batch, (int64_t)a.q_heads, (int64_t)a.q_len, (int64_t)a.total_len};
  if (pk) qi_tensor_set_shape(pk, QINFER_DTYPE_FLOAT, 4, kd);
  if (pv) qi_tensor_set_shape(pv, QINFER_DTYPE_FLOAT, 4, vd);
  if (qk) qi_tensor_set_shape(qk, QINFER_DTYPE_FLOAT, 4, qd);
  return QINFER_OK;
}

typedef struct attn_state {
  attn_shape a;
  attn_params p;
  bool fused;         /* the plain case, on the attention kernel */
  qi_attn_heads heads;
} attn_state;

static qi_attn_strides heads_strides(const strides4 *s) { return (qi_attn_strides){s->b, s->h, s->s, 1}; }

qi_status qi_nn_attention_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  attn_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  QI_CHECK(attn_shape_of(g, n, &s->a, &s->p, err));
  const attn_shape *a = &s->a;
  s->fused = !a->has_mask && !s->p.causal && s->p.softcap == 0.0f && a->past_len == 0 && a->kv_len > 0 &&
             a->v_head_size > 0 && !qi_node_out(g, n, 3);
  if (s->fused) {
    s->heads = (qi_attn_heads){.batch = a->batch, .heads = a->q_heads, .kv_group = a->q_heads / a->kv_heads,
                               .q_len = a->q_len, .kv_len = a->kv_len, .head_size = a->head_size,
                               .v_head_size = a->v_head_size, .scale = s->p.scale, .q = heads_strides(&a->q),
                               .k = heads_strides(&a->k), .v = heads_strides(&a->v), .y = heads_strides(&a->y),
                               .cfg = qi_f32_attention_config_get(rt->isa)};
    rt->scratch_bytes = qi_attn_heads_scratch(&s->heads);
    if (rt->scratch_bytes == SIZE_MAX)
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "the packed keys and score blocks do not fit in memory");
  } else {
    rt->scratch_bytes = a->batch * a->q_heads * a->q_len * a->total_len * sizeof(float);
  }
  return QINFER_OK;
}

void qi_nn_attention_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

typedef struct attn_task {
  const attn_shape *a;
  const attn_params *p;
  const float *q, *k, *v, *past_k, *past_v, *mask_f;
  const uint8_t *mask_b;
  float *y, *scores, *qk_out;
} attn_task;

/* Row j of the key (or value) sequence of kv head h of batch b: past rows first. */
static const float *kv_row(const attn_task *t, bool value, size_t b, size_t h, size_t j) {
  const attn_shape *a = t->a;
  const size_t size = value ? a->v_head_size : a->head_size;
  if (j < a->past_len) return (value ? t->past_v : t->past_k) + ((b * a->kv_heads + h) * a->past_len + j) * size;
  const strides4 *st = value ? &a->v : &a->k;
  return (value ? t->v : t->k) + b * st->b + h * st->h + (j - a->past_len) * st->s;
}

static void attn_rows(void *arg, size_t begin, size_t end) {
  const attn_task *t = arg;
  const attn_shape *a = t->a;
  const attn_params *p = t->p;
  const size_t group = a->q_heads / a->kv_heads, T = a->total_len;
  for (size_t row = begin; row < end; row++) {
    const size_t i = row % a->q_len, h = (row / a->q_len) % a->q_heads, b = row / (a->q_len * a->q_heads);
    const size_t kvh = h / group;
    const float *q = t->q + b * a->q.b + h * a->q.h + i * a->q.s;
    float *s = t->scores + row * T;
    float *qk = t->qk_out ? t->qk_out + row * T : NULL;
    for (size_t j = 0; j < T; j++) {
      const float *k = kv_row(t, false, b, kvh, j);
      float dot = 0.0f;
      for (size_t d = 0; d < a->head_size; d++) dot += q[d] * k[d];
      s[j] = dot * p->scale;
    }
    if (qk && p->qk_mode == 0) memcpy(qk, s, T * sizeof(float));
    if (p->softcap > 0.0f)
      for (size_t j = 0; j < T; j++) s[j] = p->softcap * tanhf(s[j] / p->softcap);
    if (qk && p->qk_mode == 1) memcpy(qk, s, T * sizeof(float));
    if (a->has_mask) {
      const size_t base = b * a->mask_stride[0] + h * a->mask_stride[1] + i * a->mask_stride[2];
      for (size_t j = 0; j < T; j++) {
        const size_t at = base + j * a->mask_stride[3];
        if (t->mask_b) s[j] += t->mask_b[at] ? 0.0f : -INFINITY;
        else s[j] += t->mask_f[at];
      }
    }
    if (p->causal)
      for (size_t j = i + a->past_len + 1; j < T; j++) s[j] = -INFINITY;
    if (qk && p->qk_mode == 2) memcpy(qk, s, T * sizeof(float));
    float max = -INFINITY;
    for (size_t j = 0; j < T; j++) max = s[j] > max ? s[j] : max;
    float *y = t->y + b * a->y.b + h * a->y.h + i * a->y.s;
    memset(y, 0, a->v_head_size * sizeof(float));
    if (max == -INFINITY) { /* fully masked row: zero probabilities, zero output */
      memset(s, 0, T * sizeof(float));
    } else {
      float sum = 0.0f;
      for (size_t j = 0; j < T; j++) {
        s[j] = expf(s[j] - max);
        sum += s[j];
      }
      const float inv = 1.0f / sum;
      for (size_t j = 0; j < T; j++) {
        s[j] *= inv;
        if (s[j] == 0.0f) continue;
        const float *v = kv_row(t, true, b, kvh, j);
        for (size_t d = 0; d < a->v_head_size; d++) y[d] += s[j] * v[d];
      }
    }
    if (qk && p->qk_mode == 3) memcpy(qk, s, T * sizeof(float));
  }
}

/* present[b, h, :, :] = past rows then the new rows of the (3-D or 4-D) input. */
static void write_present(const attn_task *t, bool value, float *present) {
  const attn_shape *a = t->a;
  const size_t size = value ? a->v_head_size : a->head_size;
  for (size_t b = 0; b < a->batch; b++)
    for (size_t h = 0; h < a->kv_heads; h++)
      for (size_t j = 0; j < a->total_len; j++)
        memcpy(present + ((b * a->kv_heads + h) * a->total_len + j) * size, kv_row(t, value, b, h, j),
               size * sizeof(float));
}

qi_status qi_nn_attention_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const attn_state *s = rt->state;
  const qi_tensor *mask = qi_node_in(g, n, 3), *pk = qi_node_in(g, n, 4), *pv = qi_node_in(g, n, 5);
  qi_tensor *qk = qi_node_out(g, n, 3), *present_k = qi_node_out(g, n, 1), *present_v = qi_node_out(g, n, 2);
  attn_task t = {
      .a = &s->a,
      .p = &s->p,
      .q = qi_node_in(g, n, 0)->data,
      .k = qi_node_in(g, n, 1)->data,
      .v = qi_node_in(g, n, 2)->data,
      .past_k = pk ? pk->data : NULL,
      .past_v = pv ? pv->data : NULL,
      .mask_f = mask && !s->a.mask_is_bool ? mask->data : NULL,
      .mask_b = mask && s->a.mask_is_bool ? mask->data : NULL,
      .y = qi_node_out(g, n, 0)->data,
      .scores = rt->scratch,
      .qk_out = qk ? qk->data : NULL,
  };
  const size_t rows = s->a.batch * s->a.q_heads * s->a.q_len;
  if (s->a.total_len == 0) {
    memset(t.y, 0, rows * s->a.v_head_size * sizeof(float));
    return QINFER_OK;
  }
  if (s->fused) qi_attn_heads_run(&s->heads, t.q, t.k, t.v, t.y, rt->scratch, ctx->pool);
  else qi_parallel_for(ctx->pool, rows, 1, attn_rows, &t);
  if (present_k) write_present(&t, false, present_k->data);
  if (present_v) write_present(&t, true, present_v->data);
  return QINFER_OK;
}
