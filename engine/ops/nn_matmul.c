/* MatMul (opsets 1..13): numpy matmul. A 1-D A is a row [1, K] and a 1-D B a column [K, 1], the added dimension
 * being removed from the output; leading (batch) dimensions broadcast.
 *
 * Every batch problem is one gemm, in one of two orientations chosen in prepare:
 *   - xw (B constant, the weights case): every distinct B[K, N] matrix is packed once into the gemm's xw panels
 *     (f32-gemm.h) and A[M, K] is streamed in place; a B broadcast across the batch is packed once and shared.
 *     When one B serves every problem and A is not broadcast, the batch is one gemm of batch*M rows.
 *   - wx (B computed): the left operand A[M, K] is packed (once in prepare when A is constant, else into scratch
 *     at every run, one packing per distinct A matrix) and B[K, N] is read in place. */
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"

typedef struct matmul_shape {
  size_t m, k, n;
  int batch_rank;
  int64_t batch[QI_MAX_RANK];
  int out_rank;
  int64_t out[QI_MAX_RANK];
} matmul_shape;

typedef struct matmul_state {
  const qi_f32_gemm_config *cfg;
  matmul_shape shape;
  bool xw;                    /* orientation: B packed (xw) or A packed (wx) */
  bool merged;                /* xw with one B and an unbroadcast A: a single gemm of problems * M rows */
  size_t problems;            /* output batch problems */
  size_t packed_count;        /* distinct matrices of the packed operand (B for xw, A for wx) */
  size_t packed_floats;       /* per packed matrix */
  size_t *w_off, *x_off;      /* per problem, in floats: into the packed operand and into the streamed one */
  float *packed;              /* owned when the packed operand is constant */
} matmul_state;

static qi_status matmul_shape_of(qi_graph *g, const qi_node *n, matmul_shape *s, qi_error *err) {
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 1, QI_MAX_RANK, err));
  QI_CHECK(qi_nn_check_float_input(g, n, 1, 1, QI_MAX_RANK, err));
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1);
  const int64_t K = a->dims[a->rank - 1];
  const int64_t Kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
  if (K != Kb)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "inner dimensions differ (%lld vs %lld)", (long long)K,
                        (long long)Kb);
  s->k = (size_t)K;
  s->m = a->rank == 1 ? 1 : (size_t)a->dims[a->rank - 2];
  s->n = b->rank == 1 ? 1 : (size_t)b->dims[b->rank - 1];
  const int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  s->batch_rank = ra > rb ? ra : rb;
  for (int i = 0; i < s->batch_rank; i++) {
    const int ia = i - (s->batch_rank - ra), ib = i - (s->batch_rank - rb);
    const int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "batch dimensions %lld and %lld do not broadcast", (long long)da,
                          (long long)db);
    s->batch[i] = da == 1 ? db : da;
  }
  s->out_rank = 0;
  for (int i = 0; i < s->batch_rank; i++) s->out[s->out_rank++] = s->batch[i];
  if (a->rank > 1) s->out[s->out_rank++] = (int64_t)s->m;
  if (b->rank > 1) s->out[s->out_rank++] = (int64_t)s->n;
  return QINFER_OK;
}

qi_status qi_nn_matmul_infer(qi_graph *g, qi_node *n, qi_error *err) {
  matmul_shape s;
  QI_CHECK(matmul_shape_of(g, n, &s, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, s.out_rank, s.out);
  return QINFER_OK;
}

void qi_nn_matmul_release(qi_node_rt *rt) {
  matmul_state *s = rt->state;
  if (s) {
    free(s->w_off);
    free(s->x_off); /* packed weights belong to rt (qi_rt_packed) */
  }
  free(s);
  rt->state = NULL;
}

/* Index of the matrix of an operand with `rank` dims for the output batch multi-index `idx`. */
static size_t operand_matrix(const qi_tensor *t, const matmul_shape *s, const int64_t *idx) {
  const int r = t->rank > 2 ? t->rank - 2 : 0;
  size_t index = 0;
  for (int i = 0; i < r; i++) {
    const int64_t d = t->dims[i];
    index = index * (size_t)d + (d == 1 ? 0 : (size_t)idx[s->batch_rank - r + i]);
  }
  return index;
}

/* Packs every distinct matrix of the packed operand (src: A for wx, B for xw) into dst. */
static void pack_all(const matmul_state *s, const float *src, float *dst) {
  const matmul_shape *sh = &s->shape;
  const qi_f32_gemm_config *cfg = s->cfg;
  for (size_t i = 0; i < s->packed_count; i++) {
    float *out = dst + i * s->packed_floats;
    if (s->xw) qi_nn_pack_xw(cfg, sh->k, sh->n, src + i * sh->k * sh->n, sh->n, 1, 1.0f, NULL, out);
    else cfg->pack(sh->m, sh->k, cfg->mr, cfg->kr, src + i * sh->m * sh->k, sh->k, 1, NULL, out);
  }
}

/* Per problem offsets into the packed and the streamed operands; sets s->merged. */
static void matmul_offsets(matmul_state *s, const qi_tensor *a, const qi_tensor *b) {
  const matmul_shape *sh = &s->shape;
  const size_t a_matrix = sh->m * sh->k, b_matrix = sh->k * sh->n;
  int64_t idx[QI_MAX_RANK] = {0};
  bool a_unbroadcast = true;
  for (size_t p = 0; p < s->problems; p++) {
    const size_t ai = operand_matrix(a, sh, idx), bi = operand_matrix(b, sh, idx);
    a_unbroadcast = a_unbroadcast && ai == p;
    s->w_off[p] = (s->xw ? bi : ai) * s->packed_floats;
    s->x_off[p] = s->xw ? ai * a_matrix : bi * b_matrix;
    for (int i = sh->batch_rank - 1; i >= 0; i--) { /* next multi-index, last dimension fastest */
      if (++idx[i] < sh->batch[i]) break;
      idx[i] = 0;
    }
  }
  s->merged = s->xw && s->packed_count == 1 && a_unbroadcast;
}

qi_status qi_nn_matmul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  matmul_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  QI_CHECK(matmul_shape_of(g, n, &s->shape, err));
  const matmul_shape *sh = &s->shape;
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1);
  const bool a_const = (a->flags & QI_TF_CONST) != 0, b_const = (b->flags & QI_TF_CONST) != 0;
  s->cfg = qi_f32_gemm_config_get(rt->isa);
  s->xw = b_const && sh->k && sh->n;
  rt->kernel = s->xw ? s->cfg->xw_name : s->cfg->name;
  s->problems = 1;
  for (int i = 0; i < sh->batch_rank; i++) s->problems *= (size_t)sh->batch[i];
  const qi_tensor *packed_t = s->xw ? b : a;
  const size_t matrix = s->xw ? sh->k * sh->n : sh->m * sh->k;
  s->packed_count = matrix != 0 ? (size_t)qi_tensor_numel(packed_t) / matrix : 1;
  if (s->xw) s->packed_floats = qi_f32_gemm_packed_floats(sh->n, sh->k, s->cfg->xw_nr, s->cfg->xw_kr);
  else s->packed_floats = sh->k ? qi_f32_gemm_packed_floats(sh->m ? sh->m : 1, sh->k, s->cfg->mr, s->cfg->kr) : 0;
  s->w_off = malloc((s->problems + 1) * sizeof(size_t));
  s->x_off = malloc((s->problems + 1) * sizeof(size_t));
  if (!s->w_off || !s->x_off) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  matmul_offsets(s, a, b);
  if (sh->k && sh->m && (s->xw || a_const)) {
    bool fresh;
    s->packed = qi_rt_packed(rt, 0, s->packed_count * s->packed_floats * sizeof(float), &fresh);
    if (!s->packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
    if (fresh) pack_all(s, packed_t->data, s->packed);
  } else if (sh->k && sh->m) {
    rt->scratch_bytes = s->packed_count * s->packed_floats * sizeof(float);
  }
  /* run reads no constant input: the constant operand(s) are packed */
  rt->const_inputs_packed = (!a_const || (!s->xw && s->packed)) && (!b_const || s->packed);
  return QINFER_OK;
}

static void matmul_run_xw(const matmul_state *s, const float *a, float *y, qi_threadpool *pool) {
  const matmul_shape *sh = &s->shape;
  const qi_nn_gemm_xw_args args = {
      .cfg = s->cfg,
      .batch = s->merged ? 1 : s->problems,
      .m = s->merged ? s->problems * sh->m : sh->m,
      .n = sh->n,
      .k = sh->k,
      .a = a,
      .a_stride = sh->k,
      .a_offsets = s->merged ? NULL : s->x_off,
      .packed_w = s->packed,
      .w_offsets = s->merged ? NULL : s->w_off,
      .c = y,
      .c_stride = sh->n,
      .c_batch_stride = sh->m * sh->n,
      .params = {-INFINITY, INFINITY},
  };
  qi_nn_gemm_xw(&args, pool);
}

static void matmul_run_wx(const matmul_state *s, const float *packed, const float *b, float *y, qi_threadpool *pool) {
  const matmul_shape *sh = &s->shape;
  const qi_nn_gemm_args args = {
      .cfg = s->cfg,
      .batch = s->problems,
      .m = sh->m,
      .n = sh->n,
      .k = sh->k,
      .packed_w = packed,
      .w_offsets = s->w_off,
      .b = b,
      .b_offsets = s->x_off,
      .b_stride = sh->n,
      .c = y,
      .c_stride = sh->n,
      .c_batch_stride = sh->m * sh->n,
      .params = {-INFINITY, INFINITY},
  };
  qi_nn_gemm(&args, pool);
}

qi_status qi_nn_matmul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const matmul_state *s = rt->state;
  const matmul_shape *sh = &s->shape;
  float *y = qi_node_out(g, n, 0)->data;
  if (sh->k == 0) {
    memset(y, 0, s->problems * sh->m * sh->n * sizeof(float));
    return QINFER_OK;
  }
  if (s->xw) {
    matmul_run_xw(s, qi_node_in(g, n, 0)->data, y, ctx->pool);
    return QINFER_OK;
  }
  const float *packed = s->packed;
  if (!packed) {
    pack_all(s, qi_node_in(g, n, 0)->data, rt->scratch);
    packed = rt->scratch;
  }
  matmul_run_wx(s, packed, qi_node_in(g, n, 1)->data, y, ctx->pool);
  return QINFER_OK;
}
