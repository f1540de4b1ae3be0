/* W8A16 products on the qs16 gemm (kernels/qs16-gemm): 16-bit activations (int16 / uint16) x constant int8
 * weights with zero points 0 (per tensor or per output channel), int32 bias, a 16-bit or 8-bit output. Made by the
 * QDQ pass (engine/pass_qdq.c) from DQ(x 16-bit), DQ(w int8 const) -> Conv / MatMul / Gemm [-> Relu / Clip] -> Q;
 * internal ops of domain ai.qinfer, inputs laid out as QLinearConv's:
 *
 *   x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point [, B]
 *
 *   QLinearConv16    2-D Conv (the Conv's attributes; any group, depthwise included: one gemm per group)
 *   QLinearMatMul16  x [..., K] x w [K, N] (MatMul, Gemm), or w [N, K] with transB = 1 (Gemm); the weight scale
 *                    per tensor or per column N
 *
 * Requantization: scale[c] = (x_scale * w_scale[c]) / y_scale, in this order in binary32 (as QLinearConv), then
 * qi_requant_fp32_s64 on the exact int64 sum (bias included), clamped to the output type's range narrowed by a
 * fused Relu / Clip. The sums are exact, so the results are those of the integer arithmetic on every ISA and
 * thread count; ONNX Runtime runs such a pattern in float (DQ -> Conv -> Q), whose float rounding may move an
 * output by one step. Everything infer refuses stays as the float pattern (the QDQ pass only fuses what infer
 * accepts). */
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/ops/nn_common.h"
#include "engine/ops/quant_common.h"
#include "engine/ops/quant_conv.h"
#include "kernels/qs16-gemm/qs16-gemm.h"

static bool is_q16(int dt) { return dt == QINFER_DTYPE_INT16 || dt == QINFER_DTYPE_UINT16; }
static bool is_qout(int dt) { return is_q16(dt) || qi_q_is_8bit(dt); }

typedef struct w16_state {
  bool conv;
  const qi_qs16_gemm_config *cfg;
  qi_qs16_gemm_params params;
  size_t out_bytes;
  uint16_t flip;
  int16_t pad_d;
  /* one gemm per (image, group): m rows (output channels of a group, or N), n columns, k */
  size_t images, groups, m, n, k;
  size_t in_c_g, in_hw;
  bool trans_store; /* MatMul: C[c][row] at row * N + c */
  qi_window2d geom;
  void *packed;
  size_t group_bytes;
} w16_state;

/* Checks shared by both ops: types, constant per-tensor x / y parameters, constant int8 weights with zero points
 * 0, a constant int32 bias of `out_c` values. */
static qi_status check_common(qi_graph *g, const qi_node *n, int64_t out_c, int w_axis, qi_error *err) {
  if (n->n_inputs < 8 || n->n_inputs > 9 || n->n_outputs != 1)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected 8 or 9 inputs and 1 output");
  for (int i = 0; i < n->n_inputs; i++)
    if (!qi_node_in(g, n, i) && i != 8) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input %d is missing", i);
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3), *b = qi_node_in(g, n, 8);
  if (!is_q16(x->dtype) || w->dtype != QINFER_DTYPE_INT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x has type %s and w %s; int16 / uint16 and int8 expected",
                        qi_dtype_name(x->dtype), qi_dtype_name(w->dtype));
  for (int i = 1; i < n->n_inputs; i++)
    if (i != 3 && !qi_q_is_const(qi_node_in(g, n, i)))
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input %d must be a constant", i);
  if (!(w->flags & QI_TF_CONST)) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "the weights must be constant");
  qi_qparams xq, wq, yq;
  QI_CHECK(qi_qparams_read(g, n, 1, 2, x, 0, x->dtype, true, &xq, err));
  QI_CHECK(qi_qparams_read(g, n, 4, 5, w, w_axis, w->dtype, true, &wq, err));
  const qi_tensor *yz = qi_node_in(g, n, 7);
  QI_CHECK(qi_qparams_read(g, n, 6, 7, NULL, 0, yz->dtype, true, &yq, err));
  if (xq.count != 1 || yq.count != 1)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x and y must be quantized per tensor");
  if (xq.dtype != x->dtype) return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "x_zero_point's type differs from x's");
  if (!is_qout(yq.dtype))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "y_zero_point has type %s; an 8- or 16-bit type expected",
                        qi_dtype_name(yq.dtype));
  if (wq.count != 1 && wq.count != out_c)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n, "w_scale has %lld values; 1 or %lld expected",
                        (long long)wq.count, (long long)out_c);
  for (int64_t c = 0; c < wq.count; c++)
    if (qi_qparams_zero_point(&wq, c) != 0)
      return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "w_zero_point[%lld] is not 0", (long long)c);
  if (b && (b->dtype != QINFER_DTYPE_INT32 || b->rank != 1 || b->dims[0] != out_c))
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "bias must be an int32 vector of %lld values", (long long)out_c);
  return QINFER_OK;
}

/* ---- QLinearConv16 ---- */

typedef struct conv16_attrs {
  qi_nn_window_attrs win;
  int64_t group, out_sp[2];
} conv16_attrs;

static qi_status conv16_read(qi_graph *g, const qi_node *n, conv16_attrs *a, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3);
  if (!x || !w) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input x or w is missing");
  if (x->rank != 4 || w->rank != 4)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only 2-D convolutions (rank 4) are supported");
  QI_CHECK(qi_nn_conv_group(n, x, w, &a->group, err));
  QI_CHECK(qi_nn_read_window_attrs(n, 2, w->dims + 2, true, &a->win, err));
  QI_CHECK(qi_nn_window_output(n, &a->win, x->dims + 2, false, a->out_sp, err));
  const int64_t k = w->dims[1] * w->dims[2] * w->dims[3];
  if (k < 1 || k > (int64_t)QI_QS16_GEMM_MAX_K)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%lld weights per output; 1 to 2^24 supported", (long long)k);
  return check_common(g, n, w->dims[0], 0, err);
}

qi_status qi_qlinearconv16_infer(qi_graph *g, qi_node *n, qi_error *err) {
  conv16_attrs a;
  QI_CHECK(conv16_read(g, n, &a, err));
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3);
  const int64_t dims[4] = {x->dims[0], w->dims[0], a.out_sp[0], a.out_sp[1]};
  qi_tensor_set_shape(qi_node_out(g, n, 0), qi_node_in(g, n, 7)->dtype, 4, dims);
  return QINFER_OK;
}

/* ---- QLinearMatMul16 ---- */

/* K, N and the weight strides of w [K, N] (or [N, K] with transB); rows = the product of x's leading dims. */
typedef struct mm16_shape {
  size_t rows, k, n, w_n_stride, w_k_stride;
} mm16_shape;

static qi_status mm16_read(qi_graph *g, const qi_node *n, mm16_shape *sh, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3);
  if (!x || !w) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input x or w is missing");
  const bool tb = qi_attr_int(n, "transB", 0) != 0;
  if (x->rank < 1 || w->rank != 2 || qi_attr_int(n, "transA", 0) != 0)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "x of rank >= 1 and 2-D weights (no transA) expected");
  const int64_t k = tb ? w->dims[1] : w->dims[0], cols = tb ? w->dims[0] : w->dims[1];
  if (x->dims[x->rank - 1] != k)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "x's last dimension %lld differs from K = %lld",
                        (long long)x->dims[x->rank - 1], (long long)k);
  if (k < 1 || k > (int64_t)QI_QS16_GEMM_MAX_K || cols < 1)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "K = %lld, N = %lld; 1 <= K <= 2^24 supported",
                        (long long)k, (long long)cols);
  sh->rows = (size_t)(qi_tensor_numel(x) / k);
  sh->k = (size_t)k;
  sh->n = (size_t)cols;
  sh->w_n_stride = tb ? (size_t)k : 1;
  sh->w_k_stride = tb ? 1 : (size_t)cols;
  return check_common(g, n, cols, tb ? 0 : 1, err);
}

qi_status qi_qlinearmatmul16_infer(qi_graph *g, qi_node *n, qi_error *err) {
  mm16_shape sh = {0, 0, 0, 0, 0};
  QI_CHECK(mm16_read(g, n, &sh, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
  dims[x->rank - 1] = (int64_t)sh.n;
  qi_tensor_set_shape(qi_node_out(g, n, 0), qi_node_in(g, n, 7)->dtype, x->rank, dims);
  return QINFER_OK;
}

/* ---- prepare (both) ---- */

void qi_w8a16_release(qi_node_rt *rt) {
  free(rt->state); /* the packed weights belong to rt (qi_rt_packed) */
  rt->state = NULL;
}

/* Packs `groups` blocks of m rows of k weights (row i of group grp: w + (grp * m + i) * w_m_stride; the weight
 * scales along w_axis) with the requantization scales and biases; sets the output parameters. */
static qi_status w16_pack(qi_graph *g, qi_node *n, qi_node_rt *rt, w16_state *s, size_t w_m_stride,
                          size_t w_k_stride, int w_axis, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3), *b = qi_node_in(g, n, 8);
  const qi_tensor *yt = qi_node_out(g, n, 0);
  if (rt->act.kind != QI_ACT_NONE && rt->act.kind != QI_ACT_CLAMP)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "only a fused Relu / Clip is supported on a quantized output");
  qi_qparams xq, wq, yq;
  QI_CHECK(qi_qparams_read(g, n, 1, 2, x, 0, x->dtype, true, &xq, err));
  QI_CHECK(qi_qparams_read(g, n, 4, 5, w, w_axis, w->dtype, true, &wq, err));
  QI_CHECK(qi_qparams_read(g, n, 6, 7, NULL, 0, yt->dtype, true, &yq, err));
  const float xs = qi_qparams_scale(&xq, 0), ys = qi_qparams_scale(&yq, 0);
  const int32_t y_zp = qi_qparams_zero_point(&yq, 0);
  const bool x_u16 = x->dtype == QINFER_DTYPE_UINT16;
  const int32_t x_zp_d = qi_qs16_domain_zp(qi_qparams_zero_point(&xq, 0), x_u16);
  int32_t qmin, qmax;
  qi_qconv_out_range(&rt->act, yt->dtype, ys, y_zp, &qmin, &qmax);
  s->out_bytes = is_q16(yt->dtype) ? 2 : 1;
  s->params = qi_qs16_gemm_params_init(y_zp, qmin, qmax, (uint32_t)s->out_bytes);
  s->flip = qi_qs16_flip(x_u16);
  s->pad_d = (int16_t)x_zp_d;
  s->cfg = qi_qs16_gemm_config_get(rt->isa);
  rt->kernel = s->cfg->name;
  const size_t out_c = s->groups * s->m;
  float *scale = malloc(out_c * sizeof(float));
  if (!scale) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  for (size_t c = 0; c < out_c; c++) scale[c] = (xs * qi_qparams_scale(&wq, (int64_t)c)) / ys;
  s->group_bytes = qi_qs16_gemm_packed_w_size(s->m, s->k, s->cfg->mr);
  bool fresh;
  s->packed = qi_rt_packed(rt, 0, s->groups * s->group_bytes, &fresh);
  if (!s->packed) {
    free(scale);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing weights");
  }
  for (size_t grp = 0; fresh && grp < s->groups; grp++) {
    const size_t c0 = grp * s->m;
    qi_qs16_gemm_pack_w(s->cfg->mr, s->m, s->k, (const int8_t *)w->data + c0 * w_m_stride, w_m_stride, w_k_stride,
                        b ? (const int32_t *)b->data + c0 : NULL, scale + c0, x_zp_d,
                        (uint8_t *)s->packed + grp * s->group_bytes);
  }
  free(scale);
  rt->scratch_bytes = qi_qs16_gemm_packed_x_elems(s->k, s->n, s->cfg->nr) * sizeof(int16_t);
  rt->const_inputs_packed = true;
  return QINFER_OK;
}

qi_status qi_qlinearconv16_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  conv16_attrs a;
  QI_CHECK(conv16_read(g, n, &a, err));
  w16_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  const qi_tensor *x = qi_node_in(g, n, 0), *w = qi_node_in(g, n, 3);
  s->conv = true;
  qi_nn_window2d(&a.win, x->dims + 2, a.out_sp, &s->geom);
  s->images = (size_t)x->dims[0];
  s->groups = (size_t)a.group;
  s->m = (size_t)w->dims[0] / s->groups;
  s->in_c_g = (size_t)x->dims[1] / s->groups;
  s->k = s->in_c_g * s->geom.kernel_h * s->geom.kernel_w;
  s->n = s->geom.out_h * s->geom.out_w;
  s->in_hw = s->geom.in_h * s->geom.in_w;
  return w16_pack(g, n, rt, s, s->k, 1, 0, err);
}

qi_status qi_qlinearmatmul16_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  mm16_shape sh = {0, 0, 0, 0, 0};
  QI_CHECK(mm16_read(g, n, &sh, err));
  w16_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->images = s->groups = 1;
  s->m = sh.n;
  s->n = sh.rows;
  s->k = sh.k;
  s->trans_store = true;
  return w16_pack(g, n, rt, s, sh.w_n_stride, sh.w_k_stride, qi_attr_int(n, "transB", 0) ? 0 : 1, err);
}

/* ---- run ---- */

typedef struct w16_task {
  const w16_state *s;
  const uint16_t *x; /* the gemm's input: an image's group planes (conv) or x (matmul) */
  int16_t *packed_x;
  const void *w; /* the group's packed weights */
  uint8_t *y;    /* the gemm's first output element */
  size_t col_chunk;
} w16_task;

static void pack_blocks(void *arg, size_t begin, size_t end) {
  const w16_task *t = arg;
  const w16_state *s = t->s;
  const size_t nr = s->cfg->nr, c0 = begin * nr, c1 = end * nr < s->n ? end * nr : s->n;
  int16_t *dst = t->packed_x + begin * qi_qs16_gemm_xblock_elems(s->k, nr);
  if (!s->conv) qi_qs16_gemm_pack_x(s->k, c1 - c0, nr, t->x + c0 * s->k, 1, s->k, s->flip, dst);
  else qi_qs16_im2col_packed(&s->geom, s->in_c_g, t->x, s->flip, s->pad_d, c0, c1, nr, dst);
}

/* Task i: panel i % panels against the column chunk i / panels. */
static void gemm_tasks(void *arg, size_t begin, size_t end) {
  const w16_task *t = arg;
  const w16_state *s = t->s;
  const size_t mr = s->cfg->mr, nr = s->cfg->nr, panels = (s->m + mr - 1) / mr;
  const size_t panel_bytes = qi_qs16_gemm_panel_bytes(s->k, mr), xblock = qi_qs16_gemm_xblock_elems(s->k, nr);
  const size_t rs = s->trans_store ? 1 : s->n, cs = s->trans_store ? s->m : 1;
  for (size_t i = begin; i < end; i++) {
    const size_t p = i % panels, c0 = i / panels * t->col_chunk;
    const size_t rows = s->m - p * mr < mr ? s->m - p * mr : mr;
    const size_t cols = s->n - c0 < t->col_chunk ? s->n - c0 : t->col_chunk;
    s->cfg->ukernel(rows, cols, s->k, (const uint8_t *)t->w + p * panel_bytes, t->packed_x + c0 / nr * xblock,
                    t->y + (p * mr * rs + c0 * cs) * s->out_bytes, rs, cs, &s->params);
  }
}

qi_status qi_w8a16_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)err;
  const w16_state *s = rt->state;
  const uint16_t *x = qi_node_in(g, n, 0)->data;
  uint8_t *y = qi_node_out(g, n, 0)->data;
  qi_threadpool *pool = ctx ? ctx->pool : NULL;
  const size_t nr = s->cfg->nr, mr = s->cfg->mr, blocks = (s->n + nr - 1) / nr;
  const size_t chunk = 8 * nr, chunks = (s->n + chunk - 1) / chunk, panels = (s->m + mr - 1) / mr;
  for (size_t image = 0; image < s->images; image++)
    for (size_t grp = 0; grp < s->groups; grp++) {
      const w16_task t = {s, x + (image * s->groups + grp) * s->in_c_g * s->in_hw, rt->scratch,
                          (const uint8_t *)s->packed + grp * s->group_bytes,
                          y + ((image * s->groups + grp) * s->m * s->n) * s->out_bytes, chunk};
      qi_parallel_for(pool, blocks, 1, pack_blocks, (void *)&t);
      qi_parallel_for(pool, chunks * panels, 1, gemm_tasks, (void *)&t);
    }
  return QINFER_OK;
}

int64_t qi_macs_w8a16(const qi_graph *g, const qi_node *n) {
  const qi_tensor *y = n->outputs[0] >= 0 ? &g->tensors[n->outputs[0]] : NULL;
  const qi_tensor *w = n->n_inputs > 3 && n->inputs[3] >= 0 ? &g->tensors[n->inputs[3]] : NULL;
  if (!y || !w || y->rank < 1 || w->rank < 2) return 0;
  int64_t per = 1; /* weights per output element: conv C/group * kh * kw, matmul K */
  if (strcmp(n->op_type, "QLinearConv16") == 0) per = w->dims[1] * (w->rank == 4 ? w->dims[2] * w->dims[3] : 1);
  else per = qi_attr_int(n, "transB", 0) ? w->dims[1] : w->dims[0];
  return qi_mul_sat(qi_tensor_numel_sat(y), per);
}
