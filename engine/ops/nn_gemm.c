/* Gemm (opsets 7..13): Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (M x K), B' likewise (K x N),
 * C unidirectionally broadcast to [M, N].
 *
 * The gemm ukernel packs its left operand, so A' is packed into scratch at every run (M*K floats, cheap next to
 * the M*N*K product) with alpha folded in, and B' is read as K rows of N floats: a constant B is laid out that way
 * once in prepare (transposed when transB), a computed one is used in place or transposed into scratch. The C
 * term, a fused Clip/Relu and a fused LeakyRelu run on each finished tile. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"

typedef struct gemm_state {
  const qi_f32_gemm_config *cfg;
  size_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
  size_t c_rows, c_cols; /* C's shape as broadcast to [M, N]: 1 or M, 1 or N; 0 when there is no C term */
  float *b_kn;           /* constant B' as K x N, owned; NULL when B is computed */
} gemm_state;

static qi_status gemm_check(qi_graph *g, const qi_node *n, size_t *m, size_t *k, size_t *nn, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 2, 2, err));
  QI_CHECK(qi_nn_check_float_input(g, n, 1, 2, 2, err));
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1), *c = qi_node_in(g, n, 2);
  const bool ta = qi_attr_int(n, "transA", 0) != 0, tb = qi_attr_int(n, "transB", 0) != 0;
  const int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  const int64_t Kb = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != Kb)
    return qi_nn_fail(err, QINFER_ERR_SHAPE, n, "inner dimensions differ: A' is %lldx%lld, B' is %lldx%lld",
                      (long long)M, (long long)K, (long long)Kb, (long long)N);
  if (c) {
    QI_CHECK(qi_nn_check_float_input(g, n, 2, 0, 2, err));
    const int64_t want[2] = {M, N};
    for (int i = 0; i < c->rank; i++) {
      const int64_t d = c->dims[i], target = want[2 - c->rank + i];
      if (d != 1 && d != target)
        return qi_nn_fail(err, QINFER_ERR_SHAPE, n, "C dimension %d (%lld) does not broadcast to [%lld, %lld]", i,
                          (long long)d, (long long)M, (long long)N);
    }
  }
  *m = (size_t)M;
  *k = (size_t)K;
  *nn = (size_t)N;
  return QINFER_OK;
}

qi_status qi_nn_gemm_infer(qi_graph *g, qi_node *n, qi_error *err) {
  size_t m = 0, k = 0, nn = 0;
  QI_CHECK(gemm_check(g, n, &m, &k, &nn, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_nn_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  const int64_t dims[2] = {(int64_t)m, (int64_t)nn};
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, 2, dims);
  return QINFER_OK;
}

/* dst (K x N) = B' where src is B as stored: transposed (N x K) or not (K x N). */
static void layout_b(const float *src, bool trans_b, size_t k, size_t n, float *dst) {
  if (!trans_b) {
    memcpy(dst, src, k * n * sizeof(float));
    return;
  }
  for (size_t j = 0; j < n; j++)
    for (size_t i = 0; i < k; i++) dst[i * n + j] = src[j * k + i];
}

void qi_nn_gemm_release(qi_node *n) {
  gemm_state *s = n->state;
  if (s) free(s->b_kn);
  free(s);
  n->state = NULL;
}

qi_status qi_nn_gemm_prepare(qi_graph *g, qi_node *n, qi_error *err) {
  gemm_state *s = calloc(1, sizeof *s);
  if (!s) return qi_nn_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  n->state = s;
  QI_CHECK(gemm_check(g, n, &s->m, &s->k, &s->n, err));
  s->cfg = qi_f32_gemm_config_get(g->isa);
  s->trans_a = qi_attr_int(n, "transA", 0) != 0;
  s->trans_b = qi_attr_int(n, "transB", 0) != 0;
  s->alpha = qi_attr_float(n, "alpha", 1.0f);
  s->beta = qi_attr_float(n, "beta", 1.0f);
  const qi_tensor *b = qi_node_in(g, n, 1), *c = qi_node_in(g, n, 2);
  if (c && s->beta != 0.0f) {
    s->c_rows = c->rank == 2 ? (size_t)c->dims[0] : 1;
    s->c_cols = c->rank >= 1 ? (size_t)c->dims[c->rank - 1] : 1;
  }
  size_t scratch = s->k ? qi_f32_gemm_packed_floats(s->m, s->k, s->cfg->mr, s->cfg->kr) : 0;
  if (b->flags & QI_TF_CONST) {
    s->b_kn = malloc((s->k * s->n + 1) * sizeof(float));
    if (!s->b_kn) return qi_nn_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    layout_b(b->data, s->trans_b, s->k, s->n, s->b_kn);
  } else if (s->trans_b) {
    scratch += s->k * s->n;
  }
  n->scratch_bytes = scratch * sizeof(float);
  return QINFER_OK;
}

typedef struct gemm_epilogue_ctx {
  const qi_node *node;
  const gemm_state *s;
  const float *c;
  qi_f32_minmax_params clamp;
} gemm_epilogue_ctx;

/* Adds beta * C (broadcast), then applies the fused activation, on one tile. */
static void gemm_epilogue(void *ctx, size_t batch, size_t row0, size_t rows, size_t col0, size_t cols, float *tile,
                          size_t stride) {
  (void)batch;
  const gemm_epilogue_ctx *e = ctx;
  const gemm_state *s = e->s;
  for (size_t r = 0; r < rows; r++) {
    float *y = tile + r * stride;
    if (s->c_rows) {
      const float *c_row = e->c + (s->c_rows == 1 ? 0 : (row0 + r) * s->c_cols);
      for (size_t j = 0; j < cols; j++) {
        float v = y[j] + s->beta * c_row[s->c_cols == 1 ? 0 : col0 + j];
        v = v < e->clamp.min ? e->clamp.min : v;
        y[j] = v > e->clamp.max ? e->clamp.max : v;
      }
    }
    if (e->node->act == QI_ACT_LEAKY) qi_apply_act_f32(e->node, y, cols);
  }
}

qi_status qi_nn_gemm_run(qi_graph *g, qi_node *n, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const gemm_state *s = n->state;
  const qi_tensor *ct = qi_node_in(g, n, 2);
  const float *a = qi_node_in(g, n, 0)->data;
  float *y = qi_node_out(g, n, 0)->data, *scratch = n->scratch;
  gemm_epilogue_ctx e = {n, s, ct ? ct->data : NULL, qi_nn_minmax(n)};
  if (s->m == 0 || s->n == 0) return QINFER_OK;
  if (s->k == 0) { /* empty product: only the C term and the activation */
    memset(y, 0, s->m * s->n * sizeof(float));
    gemm_epilogue(&e, 0, 0, s->m, 0, s->n, y, s->n);
    if (!s->c_rows)
      for (size_t i = 0; i < s->m * s->n; i++) y[i] = y[i] < e.clamp.min ? e.clamp.min : (y[i] > e.clamp.max ? e.clamp.max : y[i]);
    return QINFER_OK;
  }
  const size_t packed_floats = qi_f32_gemm_packed_floats(s->m, s->k, s->cfg->mr, s->cfg->kr);
  float *packed_a = scratch;
  s->cfg->pack(s->m, s->k, s->cfg->mr, s->cfg->kr, a, s->trans_a ? 1 : s->k, s->trans_a ? s->m : 1, NULL, packed_a);
  if (s->alpha != 1.0f)
    for (size_t i = 0; i < packed_floats; i++) packed_a[i] *= s->alpha;
  const float *b = s->b_kn;
  if (!b) {
    const float *b_in = qi_node_in(g, n, 1)->data;
    if (s->trans_b) {
      layout_b(b_in, true, s->k, s->n, scratch + packed_floats);
      b = scratch + packed_floats;
    } else {
      b = b_in;
    }
  }
  const qi_nn_gemm_args args = {
      .cfg = s->cfg,
      .batch = 1,
      .m = s->m,
      .n = s->n,
      .k = s->k,
      .packed_w = packed_a,
      .b = b,
      .b_stride = s->n,
      .c = y,
      .c_stride = s->n,
      /* with a C term the clamp must come after it, in the epilogue */
      .params = s->c_rows ? (qi_f32_minmax_params){-INFINITY, INFINITY} : e.clamp,
      .epilogue = (s->c_rows || n->act == QI_ACT_LEAKY) ? gemm_epilogue : NULL,
      .epilogue_ctx = &e,
  };
  qi_nn_gemm(&args, ctx->pool);
  return QINFER_OK;
}
