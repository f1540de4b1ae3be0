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
 * Three passes split over threads, each item computed whole: projection rows (the int32 sums on
 * kernels/qu8-gemm-i32, in tiles of its mr rows), K transposed per (batch, head), then query rows. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/ops/quant_common.h"
#include "engine/ops/quant_transformer.h"
#include "kernels/qu8-gemm-i32/qu8-gemm-i32.h"

/* Largest input hidden size whose int32 sums of (x - x_zp) * (w - w_zp), each at most 255 * 255, cannot overflow. */
#define QA_MAX_DEPTH ((int)QI_QU8_GEMM_I32_MAX_K)

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

qi_status qi_qattention_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qattn_shape a;
  QI_CHECK(qattn_shape_of(g, n, &a, err));
  /* Q, K, V [B, S, 3H] as floats, one score row of S per query row, K transposed per head [B, N, hs, S], then the
   * projection's int32 sums [B, S, 3H] */
  const int64_t rows = qi_mul_sat((int64_t)a.batch, (int64_t)a.seq);
  const int64_t values = qi_add_sat(qi_mul_sat(rows, 7 * (int64_t)a.hidden),
                                    qi_mul_sat(qi_mul_sat(rows, (int64_t)a.heads), (int64_t)a.seq));
  if (values > INT64_MAX / 8)
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "the attention scratch of %lld floats is too large",
                        (long long)values);
  rt->scratch_bytes = (size_t)values * sizeof(float);
  return QINFER_OK;
}

typedef struct qattn_task {
  const qattn_shape *a;
  const uint8_t *x;
  const uint8_t *w;
  bool w_s8;
  const float *bias;
  qi_qparam1 xp;
  qi_qparams wp;
  const int32_t *mask;
  bool causal;
  float scale, filter;
  float *qkv, *scores, *kt, *y;
  int32_t *acc; /* [B * S, 3H] projection sums */
  const qi_qu8_gemm_i32_config *gemm;
} qattn_task;

/* The projection of rows [begin, end): the int32 sums of (x_k - x_zp) * w[k, j] (kernels/qu8-gemm-i32), minus
 * w_zp[j] * sum_k (x_k - x_zp): exactly sum_k (x_k - x_zp)(w[k, j] - w_zp[j]) (the depth limit keeps every partial
 * sum in int32); then the scale and the bias. */
static void qattn_project_rows(void *arg, size_t begin, size_t end) {
  const qattn_task *t = arg;
  const size_t D = t->a->in_hidden, N3 = 3 * t->a->hidden;
  t->gemm->ukernel(end - begin, N3, D, t->x + begin * D, D, t->xp.zero_point, t->w, N3, t->w_s8, t->acc + begin * N3,
                   N3);
  for (size_t r = begin; r < end; r++) {
    const uint8_t *x = t->x + r * D;
    int32_t xsum = 0;
    for (size_t k = 0; k < D; k++) xsum += (int32_t)x[k] - t->xp.zero_point;
    const int32_t *acc = t->acc + r * N3;
    float *out = t->qkv + r * N3;
    for (size_t j = 0; j < N3; j++) {
      const int32_t sum = acc[j] - qi_qparams_zero_point(&t->wp, (int64_t)j) * xsum;
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
  const qi_tensor *w = qi_node_in(g, n, QA_W), *m = qi_node_in(g, n, QA_MASK);
  qattn_task t = {.a = &a, .x = qi_node_in(g, n, QA_X)->data, .w = w->data, .w_s8 = w->dtype == QINFER_DTYPE_INT8,
                  .bias = qi_node_in(g, n, QA_BIAS)->data, .mask = m ? m->data : NULL,
                  .causal = qi_attr_int(n, "unidirectional", 0) != 0 && a.seq > 1,
                  .filter = qi_attr_float(n, "mask_filter_value", -10000.0f), .qkv = rt->scratch,
                  .y = qi_node_out(g, n, 0)->data};
  QI_CHECK(qattn_params(g, n, true, &t.xp, &t.wp, err));
  const float scale = qi_attr_float(n, "scale", 0.0f);
  t.scale = scale == 0.0f ? 1.0f / sqrtf((float)a.head_size) : scale;
  t.scores = t.qkv + a.batch * a.seq * 3 * a.hidden;
  t.kt = t.scores + a.batch * a.heads * a.seq * a.seq;
  t.acc = (int32_t *)(t.kt + a.batch * a.seq * a.hidden);
  const size_t rows = a.batch * a.seq;
  if (rows == 0) return QINFER_OK;
  qi_threadpool *pool = ctx ? ctx->pool : NULL;
  t.gemm = qi_qu8_gemm_i32_config_get(rt->isa);
  qi_parallel_for(pool, rows, t.gemm->mr, qattn_project_rows, &t);
  qi_parallel_for(pool, a.batch * a.heads, 1, qattn_transpose_k, &t);
  qi_parallel_for(pool, rows * a.heads, 1, qattn_query_rows, &t);
  return QINFER_OK;
}
