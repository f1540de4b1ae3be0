/* Gemm (opsets 7..13): Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A (M x K), B' likewise (K x N),
 * C unidirectionally broadcast to [M, N].
 *
 * Two paths, chosen in prepare:
 *   - xw (B constant, the usual weights case): B' is packed once into the gemm's xw panels (f32-gemm.h: N x K
 *     panels of xw_nr output columns) with alpha folded in, and beta * C too when it is a per-column vector
 *     (shape [], [1], [N], [1, N] ...) -- the panel's bias. run streams A' through the xw ukernel (transA: A is
 *     transposed into scratch first) and writes Y in place; nothing constant is read any more.
 *   - wx (B computed): the left operand alpha * A' is packed (once in prepare when A is constant, else into scratch
 *     at every run) and B' is read as K rows of N floats, in place or transposed into scratch when transB.
 * A C term that is not folded, the clamp after it and a fused LeakyRelu run on each finished tile (epilogue); a
 * constant C read there is copied into the state, so the session may free every constant input it packed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"

typedef enum { GEMM_XW, GEMM_WX } gemm_path;

typedef struct gemm_state {
  const qi_f32_gemm_config *cfg;
  gemm_path path;
  size_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
  size_t c_rows, c_cols; /* C term of the epilogue, its shape broadcast to [M, N]: 1 or M, 1 or N; 0 when there
                          * is none (no C, beta == 0, or folded into the packed bias) */
  float *c_copy;         /* owned copy of a constant C read by the epilogue (c_rows x c_cols), else NULL */
  float *packed;         /* owned: xw, packed B'; wx, packed alpha * A' when A is constant (else NULL) */
} gemm_state;

static qi_status gemm_check(qi_graph *g, const qi_node *n, size_t *m, size_t *k, size_t *nn, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 2, 2, err));
  QI_CHECK(qi_nn_check_float_input(g, n, 1, 2, 2, err));
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1), *c = qi_node_in(g, n, 2);
  const bool ta = qi_attr_int(n, "transA", 0) != 0, tb = qi_attr_int(n, "transB", 0) != 0;
  const int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  const int64_t Kb = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != Kb)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "inner dimensions differ: A' is %lldx%lld, B' is %lldx%lld",
                        (long long)M, (long long)K, (long long)Kb, (long long)N);
  if (c) {
    QI_CHECK(qi_nn_check_float_input(g, n, 2, 0, 2, err));
    const int64_t want[2] = {M, N};
    for (int i = 0; i < c->rank; i++) {
      const int64_t d = c->dims[i], target = want[2 - c->rank + i];
      if (d != 1 && d != target)
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "C dimension %d (%lld) does not broadcast to [%lld, %lld]", i,
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
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  const int64_t dims[2] = {(int64_t)m, (int64_t)nn};
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, 2, dims);
  return QINFER_OK;
}

/* dst (rows x cols, row-major) = src^T, src being cols x rows: B' of a transB, A' of a transA. */
static void transpose(const float *src, size_t rows, size_t cols, float *dst) {
  for (size_t j = 0; j < cols; j++)
    for (size_t i = 0; i < rows; i++) dst[i * cols + j] = src[j * rows + i];
}

void qi_nn_gemm_release(qi_node_rt *rt) {
  free(rt->state); /* packed weights and the copy of C belong to rt (qi_rt_packed) */
  rt->state = NULL;
}

/* C's shape broadcast to [M, N] (rows 1 or M, cols 1 or N). */
static void c_shape(const qi_tensor *c, size_t *rows, size_t *cols) {
  *rows = c->rank == 2 ? (size_t)c->dims[0] : 1;
  *cols = c->rank >= 1 ? (size_t)c->dims[c->rank - 1] : 1;
}

/* xw path: packs alpha * B' into s->packed, with beta * C as the per-column bias when C is a constant vector
 * along N (then the epilogue has no C term). */
static qi_status gemm_prepare_xw(qi_node *n, qi_node_rt *rt, gemm_state *s, const qi_tensor *b, const qi_tensor *c,
                                 qi_error *err) {
  const qi_f32_gemm_config *cfg = s->cfg;
  bool fresh;
  const size_t floats = qi_f32_gemm_packed_floats(s->n, s->k, cfg->xw_nr, cfg->xw_kr);
  s->packed = qi_rt_packed(rt, 0, floats * sizeof(float), &fresh);
  if (!s->packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing B");
  float *bias = NULL;
  if (s->c_rows == 1 && (c->flags & QI_TF_CONST)) { /* beta * C goes into the packed buffer as the bias */
    const size_t c_cols = s->c_cols;
    s->c_rows = s->c_cols = 0;
    if (fresh && !(bias = malloc(s->n * sizeof(float))))
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    const float *cv = c->data;
    for (size_t j = 0; bias && j < s->n; j++) bias[j] = s->beta * cv[c_cols == 1 ? 0 : j];
  }
  /* B' (k, j) is B[k][j], or B[j][k] when transB */
  if (fresh)
    qi_nn_pack_xw(cfg, s->k, s->n, b->data, s->trans_b ? 1 : s->n, s->trans_b ? s->k : 1, s->alpha, bias, s->packed);
  free(bias);
  return QINFER_OK;
}

/* wx path: packs alpha * A' into dst (qi_f32_gemm_packed_floats(M, K, mr, kr) floats). */
static void gemm_pack_a(const gemm_state *s, const float *a, float *dst) {
  const qi_f32_gemm_config *cfg = s->cfg;
  cfg->pack(s->m, s->k, cfg->mr, cfg->kr, a, s->trans_a ? 1 : s->k, s->trans_a ? s->m : 1, NULL, dst);
  if (s->alpha != 1.0f) {
    const size_t floats = qi_f32_gemm_packed_floats(s->m, s->k, cfg->mr, cfg->kr);
    for (size_t i = 0; i < floats; i++) dst[i] *= s->alpha;
  }
}

/* wx path: packs a constant A' once, else asks for scratch to pack it (and to transpose a computed B). */
static qi_status gemm_prepare_wx(qi_node *n, qi_node_rt *rt, gemm_state *s, const qi_tensor *a, qi_error *err) {
  if (s->m == 0 || s->n == 0 || s->k == 0) return QINFER_OK; /* run computes no product */
  const size_t packed_floats = qi_f32_gemm_packed_floats(s->m, s->k, s->cfg->mr, s->cfg->kr);
  size_t scratch = s->trans_b ? s->k * s->n : 0;
  if (a->flags & QI_TF_CONST) {
    bool fresh;
    s->packed = qi_rt_packed(rt, 0, packed_floats * sizeof(float), &fresh);
    if (!s->packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing A");
    if (fresh) gemm_pack_a(s, a->data, s->packed);
  } else {
    scratch += packed_floats;
  }
  rt->scratch_bytes = scratch * sizeof(float);
  return QINFER_OK;
}

/* A constant C still read by the epilogue is copied, so that run reads no constant input. */
static qi_status gemm_copy_c(qi_node *n, qi_node_rt *rt, gemm_state *s, const qi_tensor *c, qi_error *err) {
  if (!s->c_rows || !(c->flags & QI_TF_CONST)) return QINFER_OK;
  bool fresh;
  s->c_copy = qi_rt_packed(rt, 1, s->c_rows * s->c_cols * sizeof(float), &fresh);
  if (!s->c_copy) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  if (fresh) memcpy(s->c_copy, c->data, s->c_rows * s->c_cols * sizeof(float));
  return QINFER_OK;
}

qi_status qi_nn_gemm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  gemm_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  QI_CHECK(gemm_check(g, n, &s->m, &s->k, &s->n, err));
  s->cfg = qi_f32_gemm_config_get(rt->isa);
  s->trans_a = qi_attr_int(n, "transA", 0) != 0;
  s->trans_b = qi_attr_int(n, "transB", 0) != 0;
  s->alpha = qi_attr_float(n, "alpha", 1.0f);
  s->beta = qi_attr_float(n, "beta", 1.0f);
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1), *c = qi_node_in(g, n, 2);
  if (c && s->beta != 0.0f) c_shape(c, &s->c_rows, &s->c_cols);
  const bool a_const = (a->flags & QI_TF_CONST) != 0, b_const = (b->flags & QI_TF_CONST) != 0;
  s->path = (b_const && s->k && s->n) ? GEMM_XW : GEMM_WX;
  rt->kernel = s->path == GEMM_XW ? s->cfg->xw_name : s->cfg->name;
  if (s->path == GEMM_XW) {
    QI_CHECK(gemm_prepare_xw(n, rt, s, b, c, err));
    rt->scratch_bytes = s->trans_a ? s->m * s->k * sizeof(float) : 0;
  } else {
    QI_CHECK(gemm_prepare_wx(n, rt, s, a, err));
  }
  QI_CHECK(gemm_copy_c(n, rt, s, c, err));
  /* packed (or copied) constants are all run reads; a constant operand left unpacked keeps its buffer */
  rt->const_inputs_packed = (!a_const || (s->path == GEMM_WX && s->packed)) && (!b_const || s->path == GEMM_XW);
  return QINFER_OK;
}

typedef struct gemm_epilogue_ctx {
  const qi_act *act;
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
    if (e->act->kind == QI_ACT_LEAKY) qi_apply_act_f32(e->act, y, cols);
  }
}

/* K == 0: the product is empty, Y is the C term and the activation alone. */
static void gemm_run_empty(const gemm_state *s, gemm_epilogue_ctx *e, float *y) {
  memset(y, 0, s->m * s->n * sizeof(float));
  gemm_epilogue(e, 0, 0, s->m, 0, s->n, y, s->n);
  if (!s->c_rows)
    for (size_t i = 0; i < s->m * s->n; i++) y[i] = y[i] < e->clamp.min ? e->clamp.min : (y[i] > e->clamp.max ? e->clamp.max : y[i]);
}

/* The ukernel clamps unless a C term must come first, in the epilogue. */
static qi_f32_minmax_params ukernel_clamp(const gemm_state *s, const gemm_epilogue_ctx *e) {
  return s->c_rows ? (qi_f32_minmax_params){-INFINITY, INFINITY} : e->clamp;
}
static bool has_epilogue(const gemm_state *s, const qi_act *act) { return s->c_rows || act->kind == QI_ACT_LEAKY; }

static void gemm_run_xw(const gemm_state *s, const float *a, float *y, gemm_epilogue_ctx *e,
                        float *scratch, qi_threadpool *pool) {
  if (s->trans_a) { /* A is K x M: rows of A' are its columns */
    transpose(a, s->m, s->k, scratch);
    a = scratch;
  }
  const qi_nn_gemm_xw_args args = {
      .cfg = s->cfg,
      .batch = 1,
      .m = s->m,
      .n = s->n,
      .k = s->k,
      .a = a,
      .a_stride = s->k,
      .packed_w = s->packed,
      .c = y,
      .c_stride = s->n,
      .params = ukernel_clamp(s, e),
      .epilogue = has_epilogue(s, e->act) ? gemm_epilogue : NULL,
      .epilogue_ctx = e,
  };
  qi_nn_gemm_xw(&args, pool);
}

static void gemm_run_wx(const gemm_state *s, const float *a, const float *b, float *y,
                        gemm_epilogue_ctx *e, float *scratch, qi_threadpool *pool) {
  const float *packed_a = s->packed;
  if (!packed_a) {
    gemm_pack_a(s, a, scratch);
    packed_a = scratch;
    scratch += qi_f32_gemm_packed_floats(s->m, s->k, s->cfg->mr, s->cfg->kr);
  }
  if (s->trans_b) {
    transpose(b, s->k, s->n, scratch);
    b = scratch;
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
      .params = ukernel_clamp(s, e),
      .epilogue = has_epilogue(s, e->act) ? gemm_epilogue : NULL,
      .epilogue_ctx = e,
  };
  qi_nn_gemm(&args, pool);
}

qi_status qi_nn_gemm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const gemm_state *s = rt->state;
  const qi_tensor *ct = qi_node_in(g, n, 2);
  float *y = qi_node_out(g, n, 0)->data;
  gemm_epilogue_ctx e = {&rt->act, s, s->c_copy ? s->c_copy : (s->c_rows ? ct->data : NULL), qi_nn_minmax(&rt->act)};
  if (s->m == 0 || s->n == 0) return QINFER_OK;
  if (s->k == 0) {
    gemm_run_empty(s, &e, y);
    return QINFER_OK;
  }
  if (s->path == GEMM_XW) {
    gemm_run_xw(s, qi_node_in(g, n, 0)->data, y, &e, rt->scratch, ctx->pool);
  } else {
    const float *a = s->packed ? NULL : qi_node_in(g, n, 0)->data; /* a packed A is not read again */
    gemm_run_wx(s, a, qi_node_in(g, n, 1)->data, y, &e, rt->scratch, ctx->pool);
  }
  return QINFER_OK;
}
