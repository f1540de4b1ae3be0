/* QLinearMatMul (opset 10 / 21), MatMulInteger (opset 10) and com.microsoft QGemm.
 *
 * Fast path (QLinearMatMul and QGemm with every parameter constant, a constant int8 B of rank 2 with zero points
 * 0, and for QGemm a quantized output and a constant bias C along N): C^T[N, rows] = B'^T * A'^T on the qu8 gemm,
 * B'^T packed once as the weights (per output column n: bias C[n] - a_zp * sum_k B'[k][n], scale
 * (alpha * a_scale * b_scale[n]) / y_scale), the rows of A (every batch of A flattened: B is shared) packed as
 * activation columns per tile, and the result stored transposed (row stride 1, column stride N) so Y comes out
 * row-major. Otherwise a generic loop: per output row, int32 sums of (a - a_zp[row]) * (b - b_zp[col]) over
 * numpy-broadcast batches, then the op's output rule; MatMulInteger always takes it and stores the sums. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "kernels/requant.h"

typedef enum { QM_QLINEAR, QM_INTEGER, QM_QGEMM } qmatmul_kind;

/* Shapes of a (batched) matrix product, numpy rules (MatMul) or 2-D with transposes (QGemm). */
typedef struct mm_shape {
  size_t m, n, k, batch;
  int batch_rank;
  int64_t batch_dims[QI_MAX_RANK], a_bdims[QI_MAX_RANK], b_bdims[QI_MAX_RANK];
  int out_rank;
  int64_t out_dims[QI_MAX_RANK];
  size_t a_rs, a_ks, b_ks, b_ns; /* element strides inside one matrix */
} mm_shape;

static qi_status matmul_shape(const qi_node *n, const qi_tensor *a, const qi_tensor *b, mm_shape *s, qi_error *err) {
  memset(s, 0, sizeof *s);
  if (a->rank < 1 || b->rank < 1) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "inputs must have rank >= 1");
  const int64_t m = a->rank >= 2 ? a->dims[a->rank - 2] : 1, k = a->dims[a->rank - 1];
  const int64_t kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0], nn = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  if (k != kb)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A has %lld columns but B has %lld rows", (long long)k, (long long)kb);
  const int ar = a->rank > 2 ? a->rank - 2 : 0, br = b->rank > 2 ? b->rank - 2 : 0;
  s->batch_rank = ar > br ? ar : br;
  s->batch = 1;
  for (int i = 0; i < s->batch_rank; i++) {
    const int ai = i - (s->batch_rank - ar), bi = i - (s->batch_rank - br);
    const int64_t da = ai >= 0 ? a->dims[ai] : 1, db = bi >= 0 ? b->dims[bi] : 1;
    if (da != db && da != 1 && db != 1)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "batch dimensions %lld and %lld do not broadcast", (long long)da,
                          (long long)db);
    s->a_bdims[i] = da;
    s->b_bdims[i] = db;
    s->batch_dims[i] = da == 1 ? db : da;
    s->out_dims[s->out_rank++] = s->batch_dims[i];
    s->batch *= (size_t)s->batch_dims[i];
  }
  if (a->rank >= 2) s->out_dims[s->out_rank++] = m;
  if (b->rank >= 2) s->out_dims[s->out_rank++] = nn;
  s->m = (size_t)m, s->n = (size_t)nn, s->k = (size_t)k;
  s->a_rs = s->k, s->a_ks = 1, s->b_ks = s->n, s->b_ns = 1;
  return QINFER_OK;
}

static qi_status gemm_shape(const qi_node *n, const qi_tensor *a, const qi_tensor *b, mm_shape *s, qi_error *err) {
  memset(s, 0, sizeof *s);
  if (a->rank != 2 || b->rank != 2) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A and B must be 2-D");
  const bool ta = qi_attr_int(n, "transA", 0) != 0, tb = qi_attr_int(n, "transB", 0) != 0;
  const int64_t m = a->dims[ta ? 1 : 0], k = a->dims[ta ? 0 : 1], kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
  if (k != kb)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A' has %lld columns but B' has %lld rows", (long long)k,
                        (long long)kb);
  s->m = (size_t)m, s->n = (size_t)nn, s->k = (size_t)k, s->batch = 1;
  s->out_rank = 2;
  s->out_dims[0] = m, s->out_dims[1] = nn;
  s->a_rs = ta ? 1 : s->k, s->a_ks = ta ? s->m : 1;
  s->b_ks = tb ? 1 : s->n, s->b_ns = tb ? s->k : 1;
  return QINFER_OK;
}

/* Offsets (in elements) of batch bi's matrices of A and B. */
static void batch_offsets(const mm_shape *s, size_t bi, size_t *a_off, size_t *b_off) {
  size_t ai = 0, bj = 0;
  for (int i = 0; i < s->batch_rank; i++) {
    size_t stride = 1;
    for (int j = i + 1; j < s->batch_rank; j++) stride *= (size_t)s->batch_dims[j];
    const size_t c = bi / stride % (size_t)s->batch_dims[i];
    ai = ai * (size_t)s->a_bdims[i] + (s->a_bdims[i] == 1 ? 0 : c);
    bj = bj * (size_t)s->b_bdims[i] + (s->b_bdims[i] == 1 ? 0 : c);
  }
  *a_off = ai * s->m * s->k;
  *b_off = bj * s->k * s->n;
}

typedef struct qmatmul_state {
  qmatmul_kind kind;
  mm_shape sh;
  int y_dtype;
  /* fast path */
  bool fast;
  const qi_qu8_gemm_config *gemm;
  void *packed;
  size_t rows, tile;
  uint8_t a_flip;
  qi_qu8_gemm_params params;
  /* run-time path (both operands packed per run, see act_prepare) */
  bool act;
  const qi_qu8_gemm_s32_config *s32; /* MatMulInteger */
  uint8_t w_flip, x_flip;
  bool b_signed;
  int32_t x_zp_d, b_zp, col_mul;
  float scale;
  size_t slots, w_bytes, x_bytes, slot_bytes;
} qmatmul_state;

void qi_qmatmul_release(qi_node_rt *rt) {
  free(rt->state); /* packed weights belong to rt (qi_rt_packed) */
  rt->state = NULL;
}


/* Slots: A, B, and the scale / zero point pairs (-1 when the op has none). */
typedef struct qm_slots {
  int a, b, a_scale, a_zp, b_scale, b_zp, y_scale, y_zp, c;
} qm_slots;
static const qm_slots slots_of[] = {
    [QM_QLINEAR] = {0, 3, 1, 2, 4, 5, 6, 7, -1},
    [QM_INTEGER] = {0, 1, -1, 2, -1, 3, -1, -1, -1},
    [QM_QGEMM] = {0, 3, 1, 2, 4, 5, 7, 8, 6},
};

static qi_status qm_read(qi_graph *g, const qi_node *n, qmatmul_kind kind, mm_shape *sh, int *y_dtype, qi_error *err) {
  const qm_slots sl = slots_of[kind];
  const qi_tensor *a = qi_node_in(g, n, sl.a), *b = qi_node_in(g, n, sl.b);
  if (!a || !b) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input A or B is missing");
  if (!qi_q_is_8bit(a->dtype) || !qi_q_is_8bit(b->dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "A has type %s and B %s; uint8 or int8 expected",
                        qi_dtype_name(a->dtype), qi_dtype_name(b->dtype));
  QI_CHECK(kind == QM_QGEMM ? gemm_shape(n, a, b, sh, err) : matmul_shape(n, a, b, sh, err));
  if (kind == QM_INTEGER) {
    *y_dtype = QINFER_DTYPE_INT32;
    return QINFER_OK;
  }
  if (!qi_node_in(g, n, sl.a_scale) || !qi_node_in(g, n, sl.b_scale) ||
      (kind == QM_QLINEAR && !qi_node_in(g, n, sl.y_scale)))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "a scale input is missing");
  const int per_tensor[] = {sl.a_scale, sl.y_scale};
  for (int i = 0; i < 2; i++) {
    const qi_tensor *t = qi_node_in(g, n, per_tensor[i]);
    if (t && qi_tensor_numel(t) != 1)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%s '%s' has %lld values; only per-tensor (one value) is "
                          "supported", i ? "y_scale" : "a_scale", t->name, (long long)qi_tensor_numel(t));
  }
  QI_CHECK(qi_qparams_check_shapes(g, n, sl.a_scale, sl.a_zp, NULL, 0, a->dtype, err));
  const qi_tensor *bs = qi_node_in(g, n, sl.b_scale);
  if (qi_tensor_numel(bs) > 1) {
    /* per column: one value per column of B' */
    if (bs->rank != 1 || (size_t)bs->dims[0] != sh->n || b->rank < 2)
      return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                          "b_scale '%s' has %lld values; 1 or one per column (%zu) expected", bs->name,
                          (long long)qi_tensor_numel(bs), sh->n);
  }
  const int b_axis = kind == QM_QGEMM && qi_attr_int(n, "transB", 0) ? 0 : -1;
  QI_CHECK(qi_qparams_check_shapes(g, n, sl.b_scale, sl.b_zp, b, b_axis, b->dtype, err));
  const qi_tensor *ys = qi_node_in(g, n, sl.y_scale), *yz = qi_node_in(g, n, sl.y_zp);
  if (!ys) {
    *y_dtype = QINFER_DTYPE_FLOAT; /* QGemm without y_scale */
  } else {
    QI_CHECK(qi_qparams_check_shapes(g, n, sl.y_scale, sl.y_zp, NULL, 0, QINFER_DTYPE_UINT8, err));
    *y_dtype = yz ? yz->dtype : QINFER_DTYPE_UINT8;
    if (!qi_q_is_8bit(*y_dtype))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "y_zero_point has type %s; uint8 or int8 expected",
                          qi_dtype_name(*y_dtype));
  }
  if (kind == QM_QGEMM) {
    const qi_tensor *c = qi_node_in(g, n, sl.c);
    if (c) {
      const bool ok = c->dtype == QINFER_DTYPE_INT32 && c->rank <= 2 &&
                      (c->rank < 1 || c->dims[c->rank - 1] == 1 || (size_t)c->dims[c->rank - 1] == sh->n) &&
                      (c->rank < 2 || c->dims[0] == 1 || (size_t)c->dims[0] == sh->m);
      if (!ok)
        return qi_node_fail(err, QINFER_ERR_SHAPE, n, "C must be int32 and broadcastable to [%zu, %zu]", sh->m, sh->n);
    }
  }
  return QINFER_OK;
}

static qi_status qm_infer(qi_graph *g, qi_node *n, qmatmul_kind kind, qi_error *err) {
  mm_shape sh;
  int y_dtype;
  QI_CHECK(qm_read(g, n, kind, &sh, &y_dtype, err));
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  qi_tensor_set_shape(y, y_dtype, sh.out_rank, sh.out_dims);
  return QINFER_OK;
}

qi_status qi_qlinearmatmul_infer(qi_graph *g, qi_node *n, qi_error *err) { return qm_infer(g, n, QM_QLINEAR, err); }
qi_status qi_matmulinteger_infer(qi_graph *g, qi_node *n, qi_error *err) { return qm_infer(g, n, QM_INTEGER, err); }
qi_status qi_qgemm_infer(qi_graph *g, qi_node *n, qi_error *err) { return qm_infer(g, n, QM_QGEMM, err); }

/* C of QGemm as a per-column bias: NULL when absent, false when it varies along M. */
static bool c_per_column(const qi_tensor *c) { return !c || c->rank < 2 || c->dims[0] == 1; }

static qi_status qm_prepare_fast(qi_graph *g, qi_node *n, qi_node_rt *rt, qmatmul_state *s, qi_error *err) {
  const qm_slots sl = slots_of[s->kind];
  const qi_tensor *a = qi_node_in(g, n, sl.a), *b = qi_node_in(g, n, sl.b);
  const qi_tensor *c = sl.c >= 0 ? qi_node_in(g, n, sl.c) : NULL;
  if (s->kind == QM_INTEGER || s->y_dtype == QINFER_DTYPE_FLOAT || b->dtype != QINFER_DTYPE_INT8 || b->rank != 2 ||
      s->sh.k > QI_QU8_GEMM_MAX_K || !c_per_column(c))
    return QINFER_OK;
  const int ins[] = {sl.a_scale, sl.a_zp, sl.b, sl.b_scale, sl.b_zp, sl.y_scale, sl.y_zp, sl.c};
  for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++)
    if (ins[i] >= 0 && !qi_q_is_const(qi_node_in(g, n, ins[i]))) return QINFER_OK;
  qi_qparams aq, bq, yq;
  QI_CHECK(qi_qparams_read(g, n, sl.a_scale, sl.a_zp, a, 0, a->dtype, true, &aq, err));
  const int b_axis = s->kind == QM_QGEMM && qi_attr_int(n, "transB", 0) ? 0 : -1;
  QI_CHECK(qi_qparams_read(g, n, sl.b_scale, sl.b_zp, b, b_axis, b->dtype, true, &bq, err));
  QI_CHECK(qi_qparams_read(g, n, sl.y_scale, sl.y_zp, NULL, 0, QINFER_DTYPE_UINT8, true, &yq, err));
  for (int64_t j = 0; j < bq.count; j++)
    if (qi_qparams_zero_point(&bq, j) != 0) return QINFER_OK;
  const size_t nn = s->sh.n, k = s->sh.k;
  const float alpha = s->kind == QM_QGEMM ? qi_attr_float(n, "alpha", 1.0f) : 1.0f;
  const float as = s->kind == QM_QGEMM ? alpha * qi_qparams_scale(&aq, 0) : qi_qparams_scale(&aq, 0);
  const float ys = qi_qparams_scale(&yq, 0);
  const int32_t yzp = qi_qparams_zero_point(&yq, 0);
  const bool a_int8 = a->dtype == QINFER_DTYPE_INT8, y_int8 = s->y_dtype == QINFER_DTYPE_INT8;
  float *scale = malloc(nn * sizeof(float));
  int32_t *bias = malloc(nn * sizeof(int32_t));
  s->gemm = qi_qu8_gemm_config_get(rt->isa);
  rt->kernel = s->gemm->name;
  bool fresh;
  s->packed = qi_rt_packed(rt, 0, s->gemm->packed_w_size(s->gemm, nn, k), &fresh);
  if (!scale || !bias || !s->packed) {
    free(scale), free(bias);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  }
  for (size_t j = 0; j < nn; j++) {
    scale[j] = (as * qi_qparams_scale(&bq, (int64_t)j)) / ys;
    bias[j] = 0;
    if (c) bias[j] = ((const int32_t *)c->data)[qi_tensor_numel(c) == 1 ? 0 : j];
  }
  /* the packed operand is B'^T: row j, column kk = B'[kk][j] */
  if (fresh)
    s->gemm->pack_w(s->gemm, nn, k, b->data, s->sh.b_ns, s->sh.b_ks, bias, scale,
                    qi_qu8_gemm_x_zero_point(s->gemm, qi_qparams_zero_point(&aq, 0), a_int8), s->packed);
  free(scale), free(bias);
  int32_t qmin, qmax;
  qi_qconv_out_range(&rt->act, s->y_dtype, ys, yzp, &qmin, &qmax);
  s->params = s->gemm->init_params(yzp, qmin, qmax, y_int8);
  s->a_flip = qi_qu8_gemm_x_flip(s->gemm, a_int8);
  s->rows = (size_t)qi_tensor_numel(a) / k;
  s->tile = qi_qgemm_tile(s->gemm, k, s->rows);
  rt->scratch_bytes = qi_qgemm_scratch_bytes(s->gemm, k, s->tile);
  rt->const_inputs_packed = true;
  s->fast = true;
  return QINFER_OK;
}

/* ---- run-time path ----
 * A product whose B is not a constant int8 matrix with zero points 0 (attention's Q K^T and scores V, a B with a
 * zero point): per batch, A's M x K matrix is packed as the gemm's weights (rows of A = panel rows) and B's K x N
 * matrix as its activations, both into scratch (no allocation at run time), and C comes out row-major. With
 * W = A - wo (int8 bytes: wo = 128 for a uint8 A read through XOR 0x80, 0 for int8) and x_d, x_zp_d B and its
 * zero point in the kernel's activation domain,
 *   acc[r][j] = sum_k (a - a_zp)(b - b_zp) = sum_k W (x_d - x_zp_d) + (wo - a_zp) * sum_k (b[k][j] - b_zp)
 *             = [kernel sum] + bias[r] + col_bias[j],   bias[r] = -x_zp_d * sum_k W[r][k]   (int32, wrapping)
 * so the row term goes into the panel's bias (qi_qu8_gemm_pack_w_rows) and the column term into the kernel's
 * col_bias, and requantization stays in the kernel's epilogue with the one scale (a_scale * b_scale) / y_scale.
 * MatMulInteger runs the int32-output twin and adds the column term to its rows. Scratch holds `slots` batches
 * (packed A, packed B, column terms); batches run in groups of slots: packing parallel over batches, products
 * parallel over (batch, panel). Every output is computed by one ukernel call: results do not depend on threads. */

/* Largest scratch the run-time path plans for its batch slots (at least one slot). */
#define QM_ACT_SCRATCH (1u << 20)

static size_t round64(size_t x) { return (x + 63) & ~(size_t)63; }

static qi_status act_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qmatmul_state *s, qi_error *err) {
  const qm_slots sl = slots_of[s->kind];
  const qi_tensor *a = qi_node_in(g, n, sl.a), *b = qi_node_in(g, n, sl.b);
  if (s->kind == QM_QGEMM || s->y_dtype == QINFER_DTYPE_FLOAT || s->sh.k > QI_QU8_GEMM_MAX_K ||
      (s->kind == QM_INTEGER && rt->act.kind != QI_ACT_NONE))
    return QINFER_OK;
  const int params[] = {sl.a_scale, sl.a_zp, sl.b_scale, sl.b_zp, sl.y_scale, sl.y_zp};
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    const qi_tensor *t = params[i] >= 0 ? qi_node_in(g, n, params[i]) : NULL;
    if (t && (!qi_q_is_const(t) || qi_tensor_numel(t) != 1)) return QINFER_OK; /* per tensor, constant only */
  }
  const bool a_int8 = a->dtype == QINFER_DTYPE_INT8, b_int8 = b->dtype == QINFER_DTYPE_INT8;
  int32_t a_zp, b_zp;
  if (s->kind == QM_INTEGER) {
    qi_qparams az, bz;
    QI_CHECK(qi_qconv_read_zero_point(g, n, sl.a_zp, a, 0, &az, err));
    QI_CHECK(qi_qconv_read_zero_point(g, n, sl.b_zp, b, 0, &bz, err));
    a_zp = qi_qparams_zero_point(&az, 0), b_zp = qi_qparams_zero_point(&bz, 0);
    s->s32 = qi_qu8_gemm_s32_config_get(rt->isa);
    s->gemm = &s->s32->layout;
  } else {
    qi_qparams aq, bq, yq;
    QI_CHECK(qi_qparams_read(g, n, sl.a_scale, sl.a_zp, a, 0, a->dtype, true, &aq, err));
    QI_CHECK(qi_qparams_read(g, n, sl.b_scale, sl.b_zp, b, 0, b->dtype, true, &bq, err));
    QI_CHECK(qi_qparams_read(g, n, sl.y_scale, sl.y_zp, NULL, 0, QINFER_DTYPE_UINT8, true, &yq, err));
    a_zp = qi_qparams_zero_point(&aq, 0), b_zp = qi_qparams_zero_point(&bq, 0);
    const float ys = qi_qparams_scale(&yq, 0);
    const int32_t yzp = qi_qparams_zero_point(&yq, 0);
    s->scale = (qi_qparams_scale(&aq, 0) * qi_qparams_scale(&bq, 0)) / ys; /* the generic path's order */
    s->gemm = qi_qu8_gemm_config_get(rt->isa);
    int32_t qmin, qmax;
    qi_qconv_out_range(&rt->act, s->y_dtype, ys, yzp, &qmin, &qmax);
    s->params = s->gemm->init_params(yzp, qmin, qmax, s->y_dtype == QINFER_DTYPE_INT8);
  }
  const qi_qu8_gemm_config *cfg = s->gemm;
  s->w_flip = a_int8 ? 0 : 0x80;
  s->col_mul = (a_int8 ? 0 : 128) - a_zp;
  s->x_flip = qi_qu8_gemm_x_flip(cfg, b_int8);
  s->x_zp_d = qi_qu8_gemm_x_zero_point(cfg, b_zp, b_int8);
  s->b_zp = b_zp, s->b_signed = b_int8;
  s->w_bytes = round64(cfg->packed_w_size(cfg, s->sh.m, s->sh.k));
  s->x_bytes = round64(qi_qu8_gemm_packed_x_bytes(s->sh.k, s->sh.n, cfg->nr, cfg->kr));
  s->slot_bytes = s->w_bytes + s->x_bytes + round64(s->sh.n * sizeof(int32_t));
  s->slots = QM_ACT_SCRATCH / s->slot_bytes;
  if (s->slots < 1) s->slots = 1;
  if (s->slots > s->sh.batch) s->slots = s->sh.batch;
  rt->scratch_bytes = s->slots * s->slot_bytes;
  s->act = true;
  return QINFER_OK;
}

static qi_status qm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qmatmul_kind kind, qi_error *err) {
  qmatmul_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->kind = kind;
  QI_CHECK(qm_read(g, n, kind, &s->sh, &s->y_dtype, err));
  if (rt->act.kind != QI_ACT_NONE && rt->act.kind != QI_ACT_CLAMP && s->y_dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused Relu / Clip is supported on a quantized output");
  if (s->sh.k == 0 || s->sh.m == 0 || s->sh.n == 0) return QINFER_OK; /* generic path handles empty products */
  QI_CHECK(qm_prepare_fast(g, n, rt, s, err));
  return s->fast ? QINFER_OK : act_prepare(g, n, rt, s, err);
}

qi_status qi_qlinearmatmul_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) { return qm_prepare(g, n, rt, QM_QLINEAR, err); }
qi_status qi_matmulinteger_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) { return qm_prepare(g, n, rt, QM_INTEGER, err); }
qi_status qi_qgemm_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) { return qm_prepare(g, n, rt, QM_QGEMM, err); }

/* ---- fast path ---- */

typedef struct rows_pack_ctx {
  const qmatmul_state *s;
  const uint8_t *a;
} rows_pack_ctx;

static void pack_rows(const void *ctx, size_t n0, size_t n1, uint8_t *dst) {
  const rows_pack_ctx *p = ctx;
  const mm_shape *sh = &p->s->sh;
  /* activation column r = row r of A' (QGemm's transA reads A through the strides) */
  p->s->gemm->pack_x(sh->k, n1 - n0, p->s->gemm->nr, p->s->gemm->kr, p->a + n0 * sh->a_rs, sh->a_ks, sh->a_rs,
                     p->s->a_flip, dst);
}

typedef struct act_task {
  const qmatmul_state *s;
  const uint8_t *a, *b;
  void *y;
  uint8_t *scratch;
  size_t b0; /* first batch of the group */
} act_task;

/* Packs batch b0 + i of the group into slot i: A's rows, B's columns and B's column terms. */
static void act_pack(void *arg, size_t i0, size_t i1) {
  const act_task *t = arg;
  const qmatmul_state *s = t->s;
  const mm_shape *sh = &s->sh;
  const qi_qu8_gemm_config *cfg = s->gemm;
  for (size_t i = i0; i < i1; i++) {
    uint8_t *slot = t->scratch + i * s->slot_bytes;
    size_t a_off, b_off;
    batch_offsets(sh, t->b0 + i, &a_off, &b_off);
    const uint8_t *b = t->b + b_off;
    qi_qu8_gemm_pack_w_rows(cfg, sh->m, sh->k, t->a + a_off, sh->a_rs, s->w_flip, s->scale, s->x_zp_d, slot);
    cfg->pack_x(sh->k, sh->n, cfg->nr, cfg->kr, b, sh->b_ks, sh->b_ns, s->x_flip, slot + s->w_bytes);
    /* col_bias[j] = (wo - a_zp) * sum_k (b[k][j] - b_zp), int32 wrapping */
    int32_t *cb = (int32_t *)(void *)(slot + s->w_bytes + s->x_bytes);
    for (size_t j = 0; j < sh->n; j++) cb[j] = -(int32_t)sh->k * s->b_zp;
    for (size_t kk = 0; kk < sh->k; kk++) {
      const uint8_t *row = b + kk * sh->b_ks;
      if (s->b_signed)
        for (size_t j = 0; j < sh->n; j++) cb[j] += (int8_t)row[j];
      else
        for (size_t j = 0; j < sh->n; j++) cb[j] += row[j];
    }
    for (size_t j = 0; j < sh->n; j++) cb[j] = (int32_t)((uint32_t)cb[j] * (uint32_t)s->col_mul);
  }
}

/* Products of item (slot, panel): rows p * mr .. of batch b0 + slot, every column. */
static void act_gemm(void *arg, size_t i0, size_t i1) {
  const act_task *t = arg;
  const qmatmul_state *s = t->s;
  const mm_shape *sh = &s->sh;
  const qi_qu8_gemm_config *cfg = s->gemm;
  const size_t panels = (sh->m + cfg->mr - 1) / cfg->mr, panel = qi_qu8_gemm_panel_stride(cfg, sh->k);
  for (size_t i = i0; i < i1; i++) {
    const size_t slot_i = i / panels, m0 = i % panels * cfg->mr, rows = sh->m - m0 < cfg->mr ? sh->m - m0 : cfg->mr;
    const uint8_t *slot = t->scratch + slot_i * s->slot_bytes;
    const int32_t *cb = (const int32_t *)(const void *)(slot + s->w_bytes + s->x_bytes);
    const size_t at = ((t->b0 + slot_i) * sh->m + m0) * sh->n;
    const uint8_t *w = slot + m0 / cfg->mr * panel, *x = slot + s->w_bytes;
    if (s->s32) {
      int32_t *y = (int32_t *)t->y + at;
      s->s32->ukernel(rows, sh->n, sh->k, w, x, y, sh->n, 1);
      for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < sh->n; j++) y[r * sh->n + j] = (int32_t)((uint32_t)y[r * sh->n + j] + (uint32_t)cb[j]);
    } else {
      qi_qu8_gemm_params p = s->params;
      p.col_bias = cb;
      cfg->ukernel(rows, sh->n, sh->k, w, x, (uint8_t *)t->y + at, sh->n, 1, &p);
    }
  }
}

static void run_act(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qmatmul_state *s, qi_threadpool *pool) {
  const qm_slots sl = slots_of[s->kind];
  act_task t = {.s = s, .a = qi_node_in(g, n, sl.a)->data, .b = qi_node_in(g, n, sl.b)->data,
                .y = qi_node_out(g, n, 0)->data, .scratch = rt->scratch};
  const size_t panels = (s->sh.m + s->gemm->mr - 1) / s->gemm->mr;
  for (t.b0 = 0; t.b0 < s->sh.batch; t.b0 += s->slots) {
    const size_t nb = s->sh.batch - t.b0 < s->slots ? s->sh.batch - t.b0 : s->slots;
    qi_parallel_for(pool, nb, 1, act_pack, &t);
    qi_parallel_for(pool, nb * panels, 1, act_gemm, &t);
  }
}

/* ---- generic path ---- */


typedef struct generic_task {
  const qmatmul_state *s;
  const void *a, *b;
  bool a_signed, b_signed;
  qi_qparams aq, bq; /* zero points (per tensor / row / column) and, but for MatMulInteger, scales */
  const qi_tensor *c;
  float as, ys;
  int32_t y_zp, qmin, qmax;
  void *y;
} generic_task;

static void generic_rows(void *arg, size_t begin, size_t end) {
  const generic_task *t = arg;
  const qmatmul_state *s = t->s;
  const mm_shape *sh = &s->sh;
  const int64_t c_rows = t->c && t->c->rank == 2 ? t->c->dims[0] : 1;
  const int64_t c_cols = t->c && t->c->rank >= 1 ? t->c->dims[t->c->rank - 1] : 1;
  for (size_t i = begin; i < end; i++) {
    const size_t bi = i / sh->m, r = i % sh->m;
    size_t a_off, b_off;
    batch_offsets(sh, bi, &a_off, &b_off);
    const int32_t a_zp = qi_qparams_zero_point(&t->aq, t->aq.count == 1 ? 0 : (int64_t)r);
    for (size_t j = 0; j < sh->n; j++) {
      const int32_t b_zp = qi_qparams_zero_point(&t->bq, t->bq.count == 1 ? 0 : (int64_t)j);
      uint32_t acc = 0; /* int32 arithmetic, wrapping */
      for (size_t kk = 0; kk < sh->k; kk++)
        acc += (uint32_t)((qi_q_load8(t->a, a_off + r * sh->a_rs + kk * sh->a_ks, t->a_signed) - a_zp) *
                          (qi_q_load8(t->b, b_off + kk * sh->b_ks + j * sh->b_ns, t->b_signed) - b_zp));
      const size_t o = i * sh->n + j;
      if (s->kind == QM_INTEGER) {
        ((int32_t *)t->y)[o] = (int32_t)acc;
        continue;
      }
      if (t->c)
        acc += (uint32_t)((const int32_t *)t->c->data)[(c_rows == 1 ? 0 : (int64_t)r) * c_cols +
                                                        (c_cols == 1 ? 0 : (int64_t)j)];
      const float bs = qi_qparams_scale(&t->bq, t->bq.count == 1 ? 0 : (int64_t)j);
      if (s->y_dtype == QINFER_DTYPE_FLOAT) {
        ((float *)t->y)[o] = (float)(int32_t)acc * (t->as * bs);
        continue;
      }
      const int32_t q = qi_requant_fp32((int32_t)acc, (t->as * bs) / t->ys, t->y_zp, t->qmin, t->qmax);
      if (s->y_dtype == QINFER_DTYPE_INT8) ((int8_t *)t->y)[o] = (int8_t)q;
      else ((uint8_t *)t->y)[o] = (uint8_t)q;
    }
  }
}

static qi_status run_generic(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qmatmul_state *s, qi_threadpool *pool, qi_error *err) {
  const qm_slots sl = slots_of[s->kind];
  const qi_tensor *a = qi_node_in(g, n, sl.a), *b = qi_node_in(g, n, sl.b);
  generic_task t = {.s = s, .a = a->data, .b = b->data, .a_signed = a->dtype == QINFER_DTYPE_INT8,
                    .b_signed = b->dtype == QINFER_DTYPE_INT8, .c = sl.c >= 0 ? qi_node_in(g, n, sl.c) : NULL,
                    .y = qi_node_out(g, n, 0)->data};
  if (s->kind == QM_INTEGER) {
    QI_CHECK(qi_qconv_read_zero_point(g, n, sl.a_zp, a, (int64_t)s->sh.m, &t.aq, err));
    QI_CHECK(qi_qconv_read_zero_point(g, n, sl.b_zp, b, (int64_t)s->sh.n, &t.bq, err));
  } else {
    QI_CHECK(qi_qparams_read(g, n, sl.a_scale, sl.a_zp, a, 0, a->dtype, false, &t.aq, err));
    const int b_axis = s->kind == QM_QGEMM && qi_attr_int(n, "transB", 0) ? 0 : -1;
    QI_CHECK(qi_qparams_read(g, n, sl.b_scale, sl.b_zp, b, b_axis, b->dtype, false, &t.bq, err));
    const float alpha = s->kind == QM_QGEMM ? qi_attr_float(n, "alpha", 1.0f) : 1.0f;
    t.as = s->kind == QM_QGEMM ? alpha * qi_qparams_scale(&t.aq, 0) : qi_qparams_scale(&t.aq, 0);
    if (s->y_dtype != QINFER_DTYPE_FLOAT) {
      qi_qparams yq;
      QI_CHECK(qi_qparams_read(g, n, sl.y_scale, sl.y_zp, NULL, 0, QINFER_DTYPE_UINT8, false, &yq, err));
      t.ys = qi_qparams_scale(&yq, 0);
      t.y_zp = qi_qparams_zero_point(&yq, 0);
      qi_qconv_out_range(&rt->act, s->y_dtype, t.ys, t.y_zp, &t.qmin, &t.qmax);
    }
  }
  qi_parallel_for(pool, s->sh.batch * s->sh.m, 1, generic_rows, &t);
  if (s->y_dtype == QINFER_DTYPE_FLOAT && rt->act.kind != QI_ACT_NONE)
    qi_apply_act_f32(&rt->act, t.y, s->sh.batch * s->sh.m * s->sh.n); /* QGemm's float output: the float activation */
  return QINFER_OK;
}

static qi_status qm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const qmatmul_state *s = rt->state;
  if (s->act) {
    run_act(g, n, rt, s, ctx->pool);
    return QINFER_OK;
  }
  if (!s->fast) return run_generic(g, n, rt, s, ctx->pool, err);
  const qm_slots sl = slots_of[s->kind];
  const rows_pack_ctx pc = {s, qi_node_in(g, n, sl.a)->data};
  const qi_qgemm_job job = {
      .cfg = s->gemm,
      .m = s->sh.n,
      .n = s->rows,
      .k = s->sh.k,
      .packed_w = s->packed,
      .pack = pack_rows,
      .pack_ctx = &pc,
      .c = qi_node_out(g, n, 0)->data,
      .c_row_stride = 1,
      .c_col_stride = s->sh.n,
      .params = s->params,
      .scratch = rt->scratch,
      .tile = s->tile,
  };
  qi_qgemm_tiled_run(&job, ctx->pool);
  return QINFER_OK;
}

qi_status qi_qlinearmatmul_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qm_run(g, n, rt, ctx, err);
}
qi_status qi_matmulinteger_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qm_run(g, n, rt, ctx, err);
}
qi_status qi_qgemm_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  return qm_run(g, n, rt, ctx, err);
}
