/* com.microsoft.MatMulNBits (ONNX Runtime's contrib op): Y[..., N] = A[..., K] * dequant(B)^T + bias, B block-
 * quantized along K. Inputs A (float [..., K]), B (uint8 [N, n_blocks, blob], blob = block_size * bits / 8: the
 * codes of row n, low nibble first along K, the last block zero-padded), scales (float, N * n_blocks values),
 * zero_points (optional: uint8, ceil(n_blocks / 2) bytes per row n of packed nibbles, or float N * n_blocks),
 * g_idx (optional int32 [K]: only k / block_size, the order the blob already has, is taken), bias (optional
 * float [N]). Attributes K, N, bits (4 only), block_size (a power of 2, >= 16), accuracy_level.
 *   w(n, k) = (q(n, k) - zp(n, b)) * scale(n, b),  b = k / block_size; zp defaults to 8 (2^(bits - 1))
 * accuracy_level 4 without g_idx and without float zero points runs as ONNX Runtime's CPU kernel runs it there
 * (MLAS CompInt8): A quantized to int8 per row and block at every run, int32 block dot products
 * (kernels/qd8-f32-qb4w-gemm through engine/ops/nn_qd8.h). Every other level, and level 4 with g_idx or float zero
 * points (which ONNX Runtime also computes in float), runs the W4A32 "xw" kernels (engine/ops/nn_qb4w.h): float
 * A, the nibbles dequantized in the kernel. Either way B, the scales and zero points are packed once at prepare,
 * never expanded: B is the kernels/qb4w.h source as it lies. Float zero points z give zs = -(z * s) in the
 * packed blocks directly (the panel layout of kernels/f32-gemm-qb4w/f32-gemm-qb4w.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_common.h"
#include "engine/ops/nn_ops.h"
#include "engine/ops/nn_qb4w.h"
#include "engine/ops/nn_qd8.h"

/* The op state: one of the two linear layers. */
typedef struct nbits_state {
  bool dynamic; /* accuracy_level 4 on the qd8 kernels */
  qi_qb4w_linear lin;
  qi_qd8_linear dyn;
} nbits_state;

typedef struct nbits_shape {
  size_t k, n, block, n_blocks;
} nbits_shape;

static qi_status is_const_input(qi_graph *g, const qi_node *n, int i, const char *what, qi_error *err) {
  const qi_tensor *t = qi_node_in(g, n, i);
  if (t && !(t->flags & QI_TF_CONST))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%s '%s' must be a constant (it is packed once)", what,
                        t->name);
  return QINFER_OK;
}

static qi_status nbits_shape_of(qi_graph *g, const qi_node *n, nbits_shape *s, qi_error *err) {
  if (n->n_inputs < 3 || n->n_inputs > 6 || !qi_node_in(g, n, 0) || !qi_node_in(g, n, 1) || !qi_node_in(g, n, 2))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected inputs A, B, scales[, zero_points, g_idx, bias]");
  const int64_t bits = qi_attr_int(n, "bits", 4), K = qi_attr_int(n, "K", -1), N = qi_attr_int(n, "N", -1);
  const int64_t block = qi_attr_int(n, "block_size", -1);
  if (bits != 4)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "bits = %lld: only 4-bit weights are supported",
                        (long long)bits);
  if (K < 1 || N < 1 || block < 16 || (block & (block - 1)) != 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "attributes K = %lld, N = %lld, block_size = %lld: K, N >= 1 and block_size a power of 2 "
                        ">= 16 expected", (long long)K, (long long)N, (long long)block);
  QI_CHECK(qi_nn_check_float_input(g, n, 0, 1, QI_MAX_RANK, err));
  const qi_tensor *a = qi_node_in(g, n, 0), *b = qi_node_in(g, n, 1), *sc = qi_node_in(g, n, 2);
  if (a->dims[a->rank - 1] != K)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "A's last dimension is %lld, attribute K is %lld",
                        (long long)a->dims[a->rank - 1], (long long)K);
  s->k = (size_t)K, s->n = (size_t)N, s->block = (size_t)block;
  s->n_blocks = (s->k + s->block - 1) / s->block;
  const int64_t blob = block * bits / 8;
  if (b->dtype != QINFER_DTYPE_UINT8 || b->rank != 3 || b->dims[0] != N || b->dims[1] != (int64_t)s->n_blocks ||
      b->dims[2] != blob) {
    char shape[96];
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "B '%s' is %s %s; uint8 [%lld, %zu, %lld] expected", b->name,
                        qi_dtype_name(b->dtype), qi_shape_str(b->rank, b->dims, shape, sizeof shape), (long long)N,
                        s->n_blocks, (long long)blob);
  }
  const int64_t n_scales = N * (int64_t)s->n_blocks;
  if (sc->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(sc) != n_scales)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scales '%s' must hold N * n_blocks = %lld floats (%s, %lld)",
                        sc->name, (long long)n_scales, qi_dtype_name(sc->dtype), (long long)qi_tensor_numel(sc));
  const qi_tensor *zp = qi_node_in(g, n, 3), *gi = qi_node_in(g, n, 4), *bias = qi_node_in(g, n, 5);
  if (zp) {
    const int64_t packed = N * (int64_t)((s->n_blocks + 1) / 2);
    const bool ok = zp->dtype == QINFER_DTYPE_UINT8 ? qi_tensor_numel(zp) == packed
                    : zp->dtype == QINFER_DTYPE_FLOAT ? qi_tensor_numel(zp) == n_scales
                                                     : false;
    if (!ok)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                          "zero_points '%s' (%s, %lld values): uint8 with %lld (packed nibbles) or float with %lld "
                          "expected", zp->name, qi_dtype_name(zp->dtype), (long long)qi_tensor_numel(zp),
                          (long long)packed, (long long)n_scales);
  }
  if (gi && (gi->dtype != QINFER_DTYPE_INT32 || qi_tensor_numel(gi) != K))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "g_idx '%s' must be int32 [K]", gi->name);
  if (bias && (bias->dtype != QINFER_DTYPE_FLOAT || qi_tensor_numel(bias) != N))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "bias '%s' must be float [N]", bias->name);
  return QINFER_OK;
}

qi_status qi_nn_matmul_nbits_infer(qi_graph *g, qi_node *n, qi_error *err) {
  nbits_shape s;
  QI_CHECK(nbits_shape_of(g, n, &s, err));
  return qi_qb4w_linear_output(g, n, s.n, err);
}

/* g_idx other than k / block_size (GPTQ's act-order) would need a permutation of K: refused. */
static qi_status check_g_idx(const qi_tensor *gi, const nbits_shape *s, const qi_node *n, qi_error *err) {
  const int32_t *v = gi->data;
  for (size_t k = 0; k < s->k; k++)
    if (v[k] != (int32_t)(k / s->block))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n,
                          "g_idx '%s'[%zu] = %d: only g_idx[k] = k / block_size (%zu) is supported", gi->name, k,
                          (int)v[k], k / s->block);
  return QINFER_OK;
}

/* Float zero points: zs = -(z * s) written over the packed blocks' zs (kernels/f32-gemm-qb4w/f32-gemm-qb4w.h:
 * per panel of P columns, bias[P], then per block scale[P], zs[P], words). */
static void patch_float_zero_points(const qi_qb4w_linear *l, void *packed, const float *scale, const float *zp,
                                    size_t n_blocks) {
  const size_t p = l->cfg->xw_nr, blocks = (l->k + l->bl - 1) / l->bl;
  for (size_t c0 = 0; c0 < l->n; c0 += p) {
    uint8_t *panel = (uint8_t *)packed + c0 / p * l->panel_stride + p * sizeof(float);
    for (size_t b = 0; b < blocks; b++) {
      float *zs = (float *)(void *)(panel + b * qi_f32_gemm_qb4w_block_bytes(p, l->bl)) + p;
      for (size_t c = 0; c < p && c0 + c < l->n; c++) {
        const size_t i = (c0 + c) * n_blocks + b;
        zs[c] = -(zp[i] * scale[i]);
      }
    }
  }
}

qi_status qi_nn_matmul_nbits_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  nbits_state *st = calloc(1, sizeof *st);
  if (!(rt->state = st)) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  qi_qb4w_linear *lin = &st->lin;
  nbits_shape shape, *s = &shape;
  QI_CHECK(nbits_shape_of(g, n, s, err));
  static const char *const what[] = {NULL, "B", "scales", "zero_points", "g_idx", "bias"};
  for (int i = 1; i < 6; i++) QI_CHECK(is_const_input(g, n, i, what[i], err));
  const qi_tensor *b = qi_node_in(g, n, 1), *sc = qi_node_in(g, n, 2), *zp = qi_node_in(g, n, 3);
  const qi_tensor *gi = qi_node_in(g, n, 4), *bias = qi_node_in(g, n, 5);
  if (gi) QI_CHECK(check_g_idx(gi, s, n, err));
  const bool zp_nibbles = zp && zp->dtype == QINFER_DTYPE_UINT8;
  const qi_qb4w_source src = {
      .m = s->n, .k = s->k, .block = s->block,
      .w = b->data, .w_m_stride = s->n_blocks * s->block, .w_k_stride = 1, .w_signed = false,
      .scale = sc->data, .scale_m_stride = s->n_blocks, .scale_b_stride = 1,
      .zero_point = zp_nibbles ? zp->data : NULL, .zp_m_stride = (s->n_blocks + 1) / 2 * 2, .zp_b_stride = 1,
      .zero_point_default = 8,
  };
  /* MLAS has CompInt8 for blocks of 16 .. 256: ONNX Runtime computes larger ones in float, and so does qinfer */
  st->dynamic = qi_attr_int(n, "accuracy_level", 0) == 4 && s->block <= 256 && !gi && (!zp || zp_nibbles);
  if (st->dynamic) {
    const qi_tensor *a = qi_node_in(g, n, 0);
    QI_CHECK(qi_qd8_linear_prepare(rt, 0, &src, bias ? bias->data : NULL, n, &st->dyn, err));
    rt->scratch_bytes = qi_qd8_linear_scratch_bytes(&st->dyn, (size_t)qi_tensor_numel(a) / s->k);
    rt->const_inputs_packed = true;
    return QINFER_OK;
  }
  QI_CHECK(qi_qb4w_linear_prepare(rt, 0, &src, bias ? bias->data : NULL, n, lin, err));
  /* a float zero point replaces the default one's zs; a re-plan gets the buffer back already patched */
  if (zp && !zp_nibbles)
    patch_float_zero_points(lin, (void *)(uintptr_t)lin->packed, sc->data, zp->data, s->n_blocks);
  rt->const_inputs_packed = true;
  return QINFER_OK;
}

qi_status qi_nn_matmul_nbits_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const nbits_state *st = rt->state;
  const qi_tensor *a = qi_node_in(g, n, 0);
  float *y = qi_node_out(g, n, 0)->data;
  qi_threadpool *pool = ctx ? ctx->pool : NULL;
  if (st->dynamic)
    qi_qd8_linear_run(&st->dyn, (size_t)qi_tensor_numel(a) / st->dyn.k, a->data, st->dyn.k, y, st->dyn.n, rt->scratch,
                      pool);
  else
    qi_qb4w_linear_run(&st->lin, (size_t)qi_tensor_numel(a) / st->lin.k, a->data, st->lin.k, y, st->lin.n, pool);
  return QINFER_OK;
}
