/* FusedAttention (domain ai.qinfer, internal: made by engine/pass_fuse_attention.c, never read from a file by
 * design, though a model may hold it). Inputs Q, K, V (float, one rank r in 2..4); attributes scale (float) and
 * perm_q, perm_k, perm_v, perm_y (permutations of r axes, identity when absent). It computes
 *   Y = Transpose(MatMul(Softmax(scale * MatMul(Transpose(Q, perm_q), Transpose(K, perm_k)), axis -1),
 *                        Transpose(V, perm_v)), perm_y)
 * where the transposed operands are Q' [..., Lq, D], K' [..., D, Lk] and V' [..., Lk, Dv] with the same leading
 * (batch) dims, without materialising a transpose, the scores or the probabilities: every (batch) head runs the
 * f32 attention kernel (nn_attention_heads.h) on strided views. V's and Y's feature axes must stay their last
 * axes (perm_v and perm_y keep r - 1 in place), as the kernel reads and writes feature rows contiguously. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_attention_heads.h"
#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"

typedef struct fused_view {
  int rank;
  int64_t dims[4];   /* logical (transposed) dims */
  size_t stride[4];  /* element stride of each logical axis in the stored tensor */
} fused_view;

bool qi_nn_read_perm(const qi_node *n, const char *name, int rank, bool reverse_default, int *perm) {
  if (!qi_node_attr(n, name)) {
    for (int i = 0; i < rank; i++) perm[i] = reverse_default ? rank - 1 - i : i;
    return true;
  }
  const int64_t *p;
  if (rank > QI_MAX_RANK || qi_attr_ints(n, name, &p) != rank) return false;
  bool seen[QI_MAX_RANK] = {false};
  for (int i = 0; i < rank; i++) {
    if (p[i] < 0 || p[i] >= rank || seen[p[i]]) return false;
    seen[p[i]] = true;
    perm[i] = (int)p[i];
  }
  return true;
}

static bool read_perm(const qi_node *n, const char *name, int rank, int perm[4]) {
  return qi_nn_read_perm(n, name, rank, false, perm);
}

/* The view Transpose(t, perm) of a stored tensor t. */
static fused_view view_of(const qi_tensor *t, const int perm[4]) {
  fused_view v = {.rank = t->rank};
  size_t stored[4], s = 1;
  for (int i = t->rank - 1; i >= 0; i--) stored[i] = s, s *= (size_t)t->dims[i];
  for (int i = 0; i < t->rank; i++) v.dims[i] = t->dims[perm[i]], v.stride[i] = stored[perm[i]];
  return v;
}

typedef struct fused_geom {
  fused_view q, k, v, y; /* y: the logical [..., Lq, Dv] result with the strides of the stored output */
  int perm_y[4];
  float scale;
} fused_geom;

static qi_status geom_of(qi_graph *g, const qi_node *n, fused_geom *f, qi_error *err) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < 3; i++) QI_CHECK(qi_nn_check_float_input(g, n, i, 2, 4, err));
  const qi_tensor *q = qi_node_in(g, n, 0), *k = qi_node_in(g, n, 1), *v = qi_node_in(g, n, 2);
  const int r = q->rank;
  if (k->rank != r || v->rank != r)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "Q, K and V must have the same rank (%d, %d, %d)", r, k->rank,
                        v->rank);
  int pq[4], pk[4], pv[4];
  if (!read_perm(n, "perm_q", r, pq) || !read_perm(n, "perm_k", r, pk) || !read_perm(n, "perm_v", r, pv) ||
      !read_perm(n, "perm_y", r, f->perm_y))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "perm_q, perm_k, perm_v and perm_y must be permutations of %d axes", r);
  if (pv[r - 1] != r - 1 || f->perm_y[r - 1] != r - 1)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "perm_v and perm_y must keep the last axis in place");
  f->q = view_of(q, pq), f->k = view_of(k, pk), f->v = view_of(v, pv);
  for (int a = 0; a < r - 2; a++)
    if (f->k.dims[a] != f->q.dims[a] || f->v.dims[a] != f->q.dims[a])
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "the leading dims of Q, K and V (transposed) differ at axis %d", a);
  if (f->k.dims[r - 2] != f->q.dims[r - 1] || f->v.dims[r - 2] != f->k.dims[r - 1])
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "Q [.., Lq, D], K [.., D, Lk] and V [.., Lk, Dv] do not agree");
  if (f->q.dims[r - 1] < 1 || f->k.dims[r - 1] < 1)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "the head size and the key count must be at least 1");
  f->scale = qi_attr_float(n, "scale", NAN);
  if (!isfinite(f->scale)) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale must be a finite float");
  /* y: logical [.., Lq, Dv]; stored as Transpose(y, perm_y), so logical axis perm_y[i] is stored axis i */
  f->y.rank = r;
  for (int a = 0; a < r - 2; a++) f->y.dims[a] = f->q.dims[a];
  f->y.dims[r - 2] = f->q.dims[r - 2], f->y.dims[r - 1] = f->v.dims[r - 1];
  int64_t stored[4];
  for (int i = 0; i < r; i++) stored[i] = f->y.dims[f->perm_y[i]];
  size_t s = 1;
  for (int i = r - 1; i >= 0; i--) f->y.stride[f->perm_y[i]] = s, s *= (size_t)stored[i];
  return QINFER_OK;
}

qi_status qi_nn_attention_fused_infer(qi_graph *g, qi_node *n, qi_error *err) {
  fused_geom f;
  QI_CHECK(geom_of(g, n, &f, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y || n->n_outputs != 1) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expects one output");
  int64_t dims[4];
  for (int i = 0; i < f.y.rank; i++) dims[i] = f.y.dims[f.perm_y[i]];
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, f.y.rank, dims);
  return QINFER_OK;
}

/* The heads grid of a geometry: up to two leading axes (batch, heads), a missing one of size 1. */
static qi_attn_strides strides_of(const fused_view *v) {
  const int r = v->rank;
  return (qi_attn_strides){.b = r == 4 ? v->stride[0] : 0, .h = r >= 3 ? v->stride[r - 3] : 0,
                           .s = v->stride[r - 2], .d = v->stride[r - 1]};
}

qi_status qi_nn_attention_fused_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  qi_attn_heads *h = calloc(1, sizeof *h);
  if (!h) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = h;
  fused_geom f;
  QI_CHECK(geom_of(g, n, &f, err));
  const int r = f.q.rank;
  /* Q' [.., Lq, D] and K' [.., D, Lk]: for K the sequence is logical axis r - 1 and the feature r - 2 */
  qi_attn_strides ks = strides_of(&f.k);
  const size_t kseq = ks.d;
  ks.d = ks.s, ks.s = kseq;
  *h = (qi_attn_heads){.batch = r == 4 ? (size_t)f.q.dims[0] : 1, .heads = r >= 3 ? (size_t)f.q.dims[r - 3] : 1,
                       .kv_group = 1, .q_len = (size_t)f.q.dims[r - 2], .kv_len = (size_t)f.k.dims[r - 1],
                       .head_size = (size_t)f.q.dims[r - 1], .v_head_size = (size_t)f.v.dims[r - 1],
                       .scale = f.scale, .q = strides_of(&f.q), .k = ks, .v = strides_of(&f.v),
                       .y = strides_of(&f.y), .cfg = qi_f32_attention_config_get(rt->isa)};
  rt->scratch_bytes = qi_attn_heads_scratch(h);
  if (rt->scratch_bytes == SIZE_MAX)
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "the packed keys and score blocks do not fit in memory");
  return QINFER_OK;
}

qi_status qi_nn_attention_fused_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                    qi_error *err) {
  (void)err;
  const qi_attn_heads *h = rt->state;
  if (h->v_head_size == 0) return QINFER_OK;
  qi_attn_heads_run(h, qi_node_in(g, n, 0)->data, qi_node_in(g, n, 1)->data, qi_node_in(g, n, 2)->data,
                    qi_node_out(g, n, 0)->data, rt->scratch, ctx->pool);
  return QINFER_OK;
}

void qi_nn_attention_fused_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

int64_t qi_macs_attention_fused(const qi_graph *g, const qi_node *n) {
  /* Q' K' (numel(Q) * Lk) and the weighted sum of V (numel(Y) * Lk) */
  if (n->n_inputs < 3 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return 0;
  const qi_tensor *q = &g->tensors[n->inputs[0]], *k = &g->tensors[n->inputs[1]], *y = &g->tensors[n->outputs[0]];
  if (q->rank < 2 || k->rank != q->rank || y->rank != q->rank) return 0;
  int pk[4];
  if (!read_perm(n, "perm_k", k->rank, pk)) return 0;
  const int64_t kv_len = k->dims[pk[k->rank - 1]];
  return qi_add_sat(qi_mul_sat(qi_tensor_numel_sat(q), kv_len), qi_mul_sat(qi_tensor_numel_sat(y), kv_len));
}
