/* com.microsoft QAttention (ONNX Runtime's quantized BERT self-attention), in the form its quantizer writes:
 *   inputs  input [B, S, D] uint8, weight [D, 3H] uint8 / int8, bias [3H] float, input_scale (one float),
 *           weight_scale (one float or [3H] per column), mask_index (optional int32), input_zero_point (optional
 *           uint8), weight_zero_point (optional, weight's type, one or [3H]); past (input 8) is refused
 *   output  [B, S, H] float; the optional present output is refused
 *   attrs   num_heads (required), unidirectional (0 / 1), scale (0: 1 / sqrt(head size)), mask_filter_value
 *           (default -10000); do_rotary, qkv_hidden_sizes and past_present_share_buffer are refused
 * Arithmetic, as ONNX Runtime's CPU kernel:
 *   QKV[b,s,j] = (float)acc * (weight_scale[j] * input_scale) + bias[j],
 *                acc = sum_k (input[b,s,k] - input_zp) * (weight[k,j] - weight_zp[j])   (exact int32)
 *   Q, K, V are columns [0, H), [H, 2H), [2H, 3H), head h the columns h*hs .. h*hs + hs - 1 of each (hs = H / N)
 *   per batch b, head h, query i: s[j] = scale * <Q_i, K_j> + m[j], m[j] = mask_filter_value where key j is
 *   masked (0 elsewhere), p = softmax(s) in float, output[b,i,h*hs + d] = sum_j p[j] V_j[d].
 *   A key is masked by mask_index [B]: j >= mask_index[b]; [2B]: also j < mask_index[B + b]; [B, S]: value 0 at
 *   [b, j]; [B, S, S]: value 0 at [b, i, j]; and with unidirectional by j > i. (Indices are clamped to [0, S].)
 * The float part follows ONNX Runtime's order of operations but not its vectorised summation and exponential,
 * so the output agrees to float rounding, not bit for bit (the tests' float tolerance).
 * The projection runs on the packed int32-output gemm (kernels/qu8-gemm-s32, the tiled driver of quant_conv.h):
 * prepare packs w' = w - 128 (uint8 weights) or w (int8) once, as 3H rows of D, into the session's buffers
 * (qi_rt_packed, kept across a resize) with sum_k w'[k, j] and wz'[j] = w_zp[j] - 128 (uint8) or w_zp[j] beside
 * them, so that w - w_zp = w' - wz' and, with S the kernel's sum over the activations' domain bytes x_d,
 *   acc = S - x_zp_d * sum_k w'[k, j] - wz'[j] * sum_k (x_k - x_zp)       (int32, wrapping: exact)
 * Then three passes split over threads, each item computed whole: projection rows' epilogue, K transposed per
 * (batch, head), then query rows. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "engine/ops/quant_transformer.h"

/* Largest input hidden size whose int32 sums of (x - x_zp) * (w - w_zp), each at most 255 * 255, cannot overflow:
 * floor((2^31 - 1) / (255 * 255)). */
#define QA_MAX_DEPTH 33025

enum { QA_X, QA_W, QA_BIAS, QA_X_SCALE, QA_W_SCALE, QA_MASK, QA_X_ZP, QA_W_ZP, QA_PAST };

typedef struct qattn_shape {
  size_t batch, seq, in_hidden, hidden, heads, head_size;
  int mask_kind; /* 0 none, 1 [B] end, 2 [2B] end and start, 3 [B, S], 4 [B, S, S] */
} qattn_shape;

static qi_status qattn_refuse_attrs(const qi_node *n, qi_error *err) {
  if (qi_attr_int(n, "do_rotary", 0) != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "do_rotary = 1 (rotary embeddings) is not supported");
  if (qi_attr_int(n, "past_present_share_buffer", 0) != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "past_present_share_buffer is not supported");
  if (qi_node_attr(n, "qkv_hidden_sizes"))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "qkv_hidden_sizes is not supported (Q, K and V of one hidden size only)");
  const int64_t uni = qi_attr_int(n, "unidirectional", 0);
  if (uni != 0 && uni != 1) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "unidirectional must be 0 or 1");
  const float scale = qi_attr_float(n, "scale", 0.0f);
  if (!isfinite(scale) || scale < 0.0f)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale %g must be finite and >= 0", (double)scale);
  if (!isfinite(qi_attr_float(n, "mask_filter_value", -10000.0f)))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "mask_filter_value must be finite");
  return QINFER_OK;
}

static qi_status qattn_mask_kind(const qi_node *n, const qi_tensor *m, const qattn_shape *a, int *kind, qi_error *err) {
  *kind = 0;
  if (!m) return QINFER_OK;
  if (m->dtype != QINFER_DTYPE_INT32)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "mask_index '%s' has type %s; int32 expected", m->name,
                        qi_dtype_name(m->dtype));
  const int64_t B = (int64_t)a->batch, S = (int64_t)a->seq;
  if (m->rank == 1 && m->dims[0] == B) *kind = 1;
  else if (m->rank == 1 && m->dims[0] == 2 * B) *kind = 2;
  else if (m->rank == 2 && m->dims[0] == B && m->dims[1] == S) *kind = 3;
  else if (m->rank == 3 && m->dims[0] == B && m->dims[1] == S && m->dims[2] == S) *kind = 4;
  else
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "mask_index '%s' of rank %d is not supported: [batch], [2 * batch], [batch, sequence] or "
                        "[batch, sequence, sequence] expected (batch %lld, sequence %lld)",
                        m->name, m->rank, (long long)B, (long long)S);
  return QINFER_OK;
}

static qi_status qattn_shape_of(qi_graph *g, const qi_node *n, qattn_shape *a, qi_error *err) {
  memset(a, 0, sizeof *a);
  if (n->n_inputs < 5 || n->n_inputs > 9)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "expected inputs input, weight, bias, input_scale, weight_scale, [mask_index], "
                        "[input_zero_point], [weight_zero_point], [past], got %d", n->n_inputs);
  if (qi_node_in(g, n, QA_PAST))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the past input (incremental decoding) is not supported");
  if (n->n_outputs > 1 && qi_node_out(g, n, 1))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the present output is not supported");
  const qi_tensor *x = qi_node_in(g, n, QA_X), *w = qi_node_in(g, n, QA_W), *bias = qi_node_in(g, n, QA_BIAS);
  if (!x || !w || !bias || !qi_node_out(g, n, 0))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input, weight, bias and the output are required");
  QI_CHECK(qattn_refuse_attrs(n, err));
  if (x->dtype != QINFER_DTYPE_UINT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 expected", x->name,
                        qi_dtype_name(x->dtype));
  if (w->dtype != QINFER_DTYPE_UINT8 && w->dtype != QINFER_DTYPE_INT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "weight '%s' has type %s; uint8 or int8 expected", w->name,
                        qi_dtype_name(w->dtype));
  if (bias->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "bias '%s' has type %s; float expected", bias->name,
                        qi_dtype_name(bias->dtype));
  if (x->rank != 3 || w->rank != 2 || bias->rank != 1)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "input, weight and bias must have ranks 3, 2 and 1 (got %d, %d, %d)",
                        x->rank, w->rank, bias->rank);
  const qi_attr *heads = qi_node_attr(n, "num_heads");
  if (!heads || heads->i < 1) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute num_heads >= 1 is required");
  a->batch = (size_t)x->dims[0], a->seq = (size_t)x->dims[1], a->in_hidden = (size_t)x->dims[2];
  a->heads = (size_t)heads->i;
  a->hidden = (size_t)w->dims[1] / 3;
  if (w->dims[0] != x->dims[2] || w->dims[1] % 3 != 0 || a->hidden == 0 || a->hidden % a->heads != 0 ||
      bias->dims[0] != w->dims[1])
    return qi_node_fail(err, QINFER_ERR_SHAPE, n,
                        "weight [%lld, %lld] and bias [%lld] must be [input hidden %lld, 3 * hidden] and [3 * hidden], "
                        "hidden a multiple of num_heads %lld", (long long)w->dims[0], (long long)w->dims[1],
                        (long long)bias->dims[0], (long long)x->dims[2], (long long)heads->i);
  a->head_size = a->hidden / a->heads;
  if (a->in_hidden > QA_MAX_DEPTH)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                        "input hidden size %zu is over %d, where the int32 projection sums could overflow",
                        a->in_hidden, QA_MAX_DEPTH);
  return qattn_mask_kind(n, qi_node_in(g, n, QA_MASK), a, &a->mask_kind, err);
}

/* Input and weight parameters: input per tensor; weight per tensor or per column ([3H] scales and zero points). */
static qi_status qattn_params(qi_graph *g, const qi_node *n, bool read, qi_qparam1 *xp, qi_qparams *wp, qi_error *err) {
  QI_CHECK(qi_qparam1_get(g, n, QA_X_SCALE, QA_X_ZP, QINFER_DTYPE_UINT8, read, xp, err));
  const qi_tensor *w = qi_node_in(g, n, QA_W), *ws = qi_node_in(g, n, QA_W_SCALE);
  if (ws && qi_tensor_numel(ws) > 1 && ws->rank != 1)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "weight_scale '%s' must be one value or 1-D [3 * hidden]",
                        ws->name);
  const qi_tensor *wz = qi_node_in(g, n, QA_W_ZP);
  if (wz && wz->dtype != w->dtype)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "weight_zero_point '%s' has type %s; %s expected", wz->name,
                        qi_dtype_name(wz->dtype), qi_dtype_name(w->dtype));
  if (wz && ws && qi_tensor_numel(wz) != qi_tensor_numel(ws))
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                        "weight_zero_point '%s' has %lld values but weight_scale '%s' has %lld (per tensor or per "
                        "column, both alike)", wz->name, (long long)qi_tensor_numel(wz), ws->name,
                        (long long)qi_tensor_numel(ws));
  if (!read) return qi_qparams_check_shapes(g, n, QA_W_SCALE, QA_W_ZP, w, 1, w->dtype, err);
  return qi_qparams_read(g, n, QA_W_SCALE, QA_W_ZP, w, 1, w->dtype, false, wp, err);
}

qi_status qi_qattention_infer(qi_graph *g, qi_node *n, qi_error *err) {
  qattn_shape a;
  QI_CHECK(qattn_shape_of(g, n, &a, err));
  qi_qparam1 xp;
  qi_qparams wp;
  QI_CHECK(qattn_params(g, n, qi_qparams_all_const(g, n, 1u << QA_X | 1u << QA_W | 1u << QA_BIAS | 1u << QA_MASK),
                        &xp, &wp, err));
  const int64_t dims[3] = {(int64_t)a.batch, (int64_t)a.seq, (int64_t)a.hidden};
  qi_tensor_set_shape(qi_node_out(g, n, 0), QINFER_DTYPE_FLOAT, 3, dims);
  return QINFER_OK;
}

/* Slot 1 of the weight data: sum_k w'[k, j] then wz'[j], 3H int32 each. */
static qi_status qattn_pack(qi_graph *g, const qi_node *n, qi_node_rt *rt, const qattn_shape *a, qi_error *err) {
  const qi_tensor *w = qi_node_in(g, n, QA_W);
  qi_qparams wp;
  if (!qi_q_is_const(w) || !w->data)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "weight '%s' must be a constant (it is packed once)", w->name);
  QI_CHECK(qi_qparams_read(g, n, QA_W_SCALE, QA_W_ZP, w, 1, w->dtype, true, &wp, err));
  const size_t D = a->in_hidden, N3 = 3 * a->hidden;
  const qi_qu8_gemm_config *l = &qi_qu8_gemm_s32_config_get(rt->isa)->layout;
  bool fresh_sums, fresh_w;
  int32_t *sums = qi_rt_packed(rt, 1, 2 * N3 * sizeof(int32_t), &fresh_sums);
  void *packed = qi_rt_packed(rt, 0, l->packed_w_size(l, N3, D), &fresh_w);
  if (!sums || !packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  if (!fresh_sums && !fresh_w) return QINFER_OK;
  const bool s8 = w->dtype == QINFER_DTYPE_INT8;
  const int32_t shift = s8 ? 0 : 128;
  int8_t *w8 = malloc(N3 * D + 1);
  float *ones = malloc(N3 * sizeof(float)); /* the panel header's scale, which the int32 kernel does not read */
  if (!w8 || !ones) {
    free(w8), free(ones);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  }
  for (size_t j = 0; j < N3; j++) {
    int32_t sum = 0;
    for (size_t k = 0; k < D; k++) sum += w8[j * D + k] = (int8_t)(qi_q_load8(w->data, k * N3 + j, s8) - shift);
    sums[j] = sum;
    sums[N3 + j] = qi_qparams_zero_point(&wp, (int64_t)j) - shift;
    ones[j] = 1.0f;
  }
  if (D) l->pack_w(l, N3, D, w8, D, 1, NULL, ones, 0, packed); /* header bias 0: zero points taken off per run */
  free(w8), free(ones);
  return QINFER_OK;
}

/* Scratch: the gemm's tile of packed activations, then Q, K, V [B, S, 3H] as floats (the int32 sums first), one
 * score row of S per query row and K transposed per head [B, N, hs, S]. */
qi_status qi_qattention_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qattn_shape a;
  QI_CHECK(qattn_shape_of(g, n, &a, err));
  QI_CHECK(qattn_pack(g, n, rt, &a, err));
  const int64_t rows = qi_mul_sat((int64_t)a.batch, (int64_t)a.seq);
  const int64_t values = qi_add_sat(qi_mul_sat(rows, 4 * (int64_t)a.hidden),
                                    qi_mul_sat(qi_mul_sat(rows, (int64_t)a.heads), (int64_t)a.seq));
  if (values > INT64_MAX / 8)
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "the attention scratch of %lld floats is too large",
                        (long long)values);
  const qi_qu8_gemm_config *l = &qi_qu8_gemm_s32_config_get(rt->isa)->layout;
  const size_t D = a.in_hidden, tile = D && rows ? qi_qgemm_tile(l, D, (size_t)rows) : 0;
  rt->scratch_bytes = (size_t)values * sizeof(float);
  if (tile) rt->scratch_bytes += qi_qu8_round_up(qi_qgemm_scratch_bytes(l, D, tile), 64);
  return QINFER_OK;
}

typedef struct qattn_task {
  const qattn_shape *a;
  const uint8_t *x;
  const float *bias;
  qi_qparam1 xp;
  qi_qparams wp;
  const int32_t *mask;
  bool causal;
  float scale, filter;
  float *qkv, *scores, *kt, *y;
  const int32_t *wsum, *wz; /* sum_k w'[k, j] and wz'[j] (qattn_pack) */
  int32_t x_zp_d;           /* the input zero point in the gemm's activation domain */
} qattn_task;

typedef struct qattn_pack_ctx {
  const uint8_t *x;
  size_t k;
  const qi_qu8_gemm_config *l;
  uint8_t flip;
} qattn_pack_ctx;

static void qattn_pack_rows(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const qattn_pack_ctx *p = ctx;
  p->l->pack_x(p->k, n1 - n0, p->l->nr, p->l->kr, p->x + n0 * p->k, 1, p->k, p->flip, dst);
}

/* The projection's epilogue over rows [begin, end): the gemm's sums S, stored as int32 in qkv, become
 * (scale) * (float)(S - x_zp_d * wsum[j] - wz'[j] * sum_k (x_k - x_zp)) + bias[j] in place. */
static void qattn_project_rows(void *arg, size_t begin, size_t end) {
  const qattn_task *t = arg;
  const size_t D = t->a->in_hidden, N3 = 3 * t->a->hidden;
  for (size_t r = begin; r < end; r++) {
    const uint8_t *x = t->x + r * D;
    int32_t xsum = 0;
    for (size_t k = 0; k < D; k++) xsum += (int32_t)x[k] - t->xp.zero_point;
    float *out = t->qkv + r * N3;
    const int32_t *acc = (const int32_t *)(void *)out;
    for (size_t j = 0; j < N3; j++) {
      const uint32_t corr = (uint32_t)t->x_zp_d * (uint32_t)t->wsum[j] + (uint32_t)t->wz[j] * (uint32_t)xsum;
      const int32_t sum = (int32_t)((uint32_t)acc[j] - corr);
      out[j] = (qi_qparams_scale(&t->wp, (int64_t)j) * t->xp.scale) * (float)sum + t->bias[j];
    }
  }
}

/* K of batch b, head h transposed to [head size][S] (kt), for the query rows' dot products. */
static void qattn_transpose_k(void *arg, size_t begin, size_t end) {
  const qattn_task *t = arg;
  const qattn_shape *a = t->a;
  const size_t S = a->seq, hs = a->head_size, N3 = 3 * a->hidden;
  for (size_t bh = begin; bh < end; bh++) {
    const size_t b = bh / a->heads, h = bh % a->heads;
    const float *k = t->qkv + b * S * N3 + a->hidden + h * hs;
    float *kt = t->kt + bh * hs * S;
    for (size_t j = 0; j < S; j++)
      for (size_t d = 0; d < hs; d++) kt[d * S + j] = k[j * N3 + d];
  }
}

/* Whether key j is masked for query i of batch b. */
static bool qattn_masked(const qattn_task *t, size_t b, size_t i, size_t j) {
  const qattn_shape *a = t->a;
  const int64_t S = (int64_t)a->seq, jj = (int64_t)j;
  if (t->causal && j > i) return true;
  switch (a->mask_kind) {
    case 1: return jj >= t->mask[b];
    case 2: return jj >= t->mask[b] || jj < t->mask[a->batch + b];
    case 3: return t->mask[(int64_t)b * S + jj] == 0;
    case 4: return t->mask[((int64_t)b * S + (int64_t)i) * S + jj] == 0;
    default: return false;
  }
}

static void qattn_query_rows(void *arg, size_t begin, size_t end) {
  const qattn_task *t = arg;
  const qattn_shape *a = t->a;
  const size_t S = a->seq, hs = a->head_size, N3 = 3 * a->hidden;
  for (size_t row = begin; row < end; row++) {
    const size_t i = row % S, h = (row / S) % a->heads, b = row / (S * a->heads);
    const float *q = t->qkv + (b * S + i) * N3 + h * hs;
    const float *v0 = t->qkv + b * S * N3 + 2 * a->hidden + h * hs;
    float *s = t->scores + row * S, max = -INFINITY;
    /* s[j] = <Q_i, K_j> over K transposed (kt[d][j]): the loop over keys vectorises, each key's sum still in d order */
    const float *kt = t->kt + (b * a->heads + h) * hs * S;
    memset(s, 0, S * sizeof(float));
    for (size_t d = 0; d < hs; d++) {
      const float qd = q[d], *kd = kt + d * S;
      for (size_t j = 0; j < S; j++) s[j] += qd * kd[j];
    }
    for (size_t j = 0; j < S; j++) {
      s[j] = t->scale * s[j] + (qattn_masked(t, b, i, j) ? t->filter : 0.0f);
      max = s[j] > max ? s[j] : max;
    }
    float sum = 0.0f;
    for (size_t j = 0; j < S; j++) {
      s[j] = expf(s[j] - max);
      sum += s[j];
    }
    float *y = t->y + (b * S + i) * a->hidden + h * hs;
    memset(y, 0, hs * sizeof(float));
    for (size_t j = 0; j < S; j++) {
      const float p = s[j] / sum, *v = v0 + j * N3;
      for (size_t d = 0; d < hs; d++) y[d] += p * v[d];
    }
  }
}

qi_status qi_qattention_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  qattn_shape a;
  QI_CHECK(qattn_shape_of(g, n, &a, err));
  const qi_tensor *m = qi_node_in(g, n, QA_MASK);
  const qi_qu8_gemm_s32_config *gemm = qi_qu8_gemm_s32_config_get(rt->isa);
  const qi_qu8_gemm_config *l = &gemm->layout;
  const size_t rows = a.batch * a.seq, D = a.in_hidden, N3 = 3 * a.hidden;
  const size_t tile = rows && D ? qi_qgemm_tile(l, D, rows) : 0;
  uint8_t *tile_scratch = rt->scratch;
  const size_t tile_bytes = tile ? qi_qu8_round_up(qi_qgemm_scratch_bytes(l, D, tile), 64) : 0;
  qattn_task t = {.a = &a, .x = qi_node_in(g, n, QA_X)->data, .bias = qi_node_in(g, n, QA_BIAS)->data,
                  .mask = m ? m->data : NULL, .causal = qi_attr_int(n, "unidirectional", 0) != 0 && a.seq > 1,
                  .filter = qi_attr_float(n, "mask_filter_value", -10000.0f),
                  .qkv = (float *)(void *)(tile_scratch + tile_bytes), .y = qi_node_out(g, n, 0)->data,
                  .wsum = rt->packed[1], .wz = (const int32_t *)rt->packed[1] + N3};
  QI_CHECK(qattn_params(g, n, true, &t.xp, &t.wp, err));
  const float scale = qi_attr_float(n, "scale", 0.0f);
  t.scale = scale == 0.0f ? 1.0f / sqrtf((float)a.head_size) : scale;
  t.scores = t.qkv + rows * N3;
  t.kt = t.scores + a.batch * a.heads * a.seq * a.seq;
  t.x_zp_d = qi_qu8_gemm_x_zero_point(l, t.xp.zero_point, false);
  if (rows == 0) return QINFER_OK;
  qi_threadpool *pool = ctx ? ctx->pool : NULL;
  if (D) {
    const qattn_pack_ctx pc = {t.x, D, l, qi_qu8_gemm_x_flip(l, false)};
    const qi_qgemm_job job = {.cfg = l, .m = N3, .n = rows, .k = D, .packed_w = rt->packed[0],
                              .pack = qattn_pack_rows, .pack_ctx = &pc, .c = (uint8_t *)t.qkv, .c_row_stride = 1,
                              .c_col_stride = N3, .scratch = tile_scratch, .tile = tile, .s32 = gemm->ukernel};
    qi_qgemm_tiled_run(&job, pool);
  } else {
    memset(t.qkv, 0, rows * N3 * sizeof(float)); /* int32 zeros */
  }
  qi_parallel_for(pool, rows, 1, qattn_project_rows, &t);
  qi_parallel_for(pool, a.batch * a.heads, 1, qattn_transpose_k, &t);
  qi_parallel_for(pool, rows * a.heads, 1, qattn_query_rows, &t);
  return QINFER_OK;
}
