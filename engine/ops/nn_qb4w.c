#include "engine/ops/nn_qb4w.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool qi_qb4w_linear_fits(const qi_qb4w_source *src) {
  return src->k >= 1 && (src->block >= src->k || src->block % 16 == 0);
}

qi_status qi_qb4w_linear_prepare(qi_node_rt *rt, int slot, const qi_qb4w_source *src, const float *bias,
                                 const qi_node *n, qi_qb4w_linear *out, qi_error *err) {
  if (!qi_qb4w_linear_fits(src))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "block size %zu: the W4A32 kernels take multiples of 16",
                        src->block);
  const qi_f32_gemm_qb4w_config *cfg = qi_f32_gemm_qb4w_config_get(rt->isa);
  *out = (qi_qb4w_linear){.cfg = cfg, .n = src->m, .k = src->k};
  out->bl = src->block >= src->k ? qi_f32_gemm_qb4w_channel_block(src->k) : src->block;
  out->panel_stride = qi_f32_gemm_qb4w_xw_panel_stride(cfg, src->k, out->bl);
  bool fresh;
  void *packed = qi_rt_packed(rt, slot, qi_f32_gemm_qb4w_packed_xw_size(cfg, src->m, src->k, out->bl), &fresh);
  if (!packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing 4-bit weights");
  if (fresh) qi_f32_gemm_qb4w_pack_xw(cfg, src, out->bl, bias, packed);
  out->packed = packed;
  rt->kernel = cfg->xw_name;
  return QINFER_OK;
}

typedef struct qb4w_task {
  const qi_qb4w_linear *l;
  size_t m, row_blocks, col_block;
  const float *a;
  size_t a_stride;
  float *y;
  size_t y_stride;
  qi_f32_qb4w_params params;
} qb4w_task;

static void qb4w_tiles(void *arg, size_t begin, size_t end) {
  const qb4w_task *t = arg;
  const qi_qb4w_linear *l = t->l;
  const size_t mr = l->cfg->xw_mr;
  for (size_t i = begin; i < end; i++) {
    const size_t col0 = i / t->row_blocks * t->col_block, row0 = i % t->row_blocks * mr;
    const size_t rows = t->m - row0 < mr ? t->m - row0 : mr;
    const size_t cols = l->n - col0 < t->col_block ? l->n - col0 : t->col_block;
    l->cfg->xw_ukernel(rows, cols, l->k, t->a + row0 * t->a_stride, t->a_stride,
                       (const uint8_t *)l->packed + col0 / l->cfg->xw_nr * l->panel_stride,
                       t->y + row0 * t->y_stride + col0, t->y_stride, &t->params);
  }
}

void qi_qb4w_linear_run(const qi_qb4w_linear *l, size_t m, const float *a, size_t a_stride, float *y,
                        size_t y_stride, qi_threadpool *pool) {
  if (m == 0 || l->n == 0) return;
  const size_t nr = l->cfg->xw_nr;
  qb4w_task t = {.l = l, .m = m, .row_blocks = qi_div_round_up(m, l->cfg->xw_mr), .a = a, .a_stride = a_stride,
                 .y = y, .y_stride = y_stride, .params = {{-INFINITY, INFINITY}, l->bl}};
  /* Column blocks of about 32 KiB of packed weights (an L1 / L2 share), whole panels: every row block of A runs
   * past one block before the next is read. */
  const size_t panels = qi_div_round_up(32768, l->panel_stride ? l->panel_stride : 1);
  t.col_block = (panels ? panels : 1) * nr;
  if (t.col_block > l->n) t.col_block = l->n;
  const size_t col_blocks = qi_div_round_up(l->n, t.col_block);
  qi_parallel_for(pool, col_blocks * t.row_blocks, 1, qb4w_tiles, &t);
}

qi_status qi_qb4w_linear_output(qi_graph *g, const qi_node *n, size_t n_cols, qi_error *err) {
  const qi_tensor *a = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "output 0 is missing");
  int64_t dims[QI_MAX_RANK];
  memcpy(dims, a->dims, sizeof(int64_t) * (size_t)a->rank);
  dims[a->rank - 1] = (int64_t)n_cols;
  qi_tensor_set_shape(y, QINFER_DTYPE_FLOAT, a->rank, dims);
  return QINFER_OK;
}

qi_qb4w_linear *qi_qb4w_linear_state(qi_node_rt *rt, const qi_node *n, qi_error *err) {
  if (!(rt->state = calloc(1, sizeof(qi_qb4w_linear)))) qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  return rt->state;
}

void qi_qb4w_linear_release(qi_node_rt *rt) {
  free(rt->state);
  rt->state = NULL;
}

qi_status qi_qb4w_linear_node_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                                  qi_error *err) {
  (void)err;
  const qi_qb4w_linear *l = rt->state;
  const qi_tensor *a = qi_node_in(g, n, 0);
  qi_qb4w_linear_run(l, (size_t)qi_tensor_numel(a) / l->k, a->data, l->k, qi_node_out(g, n, 0)->data, l->n,
                     ctx ? ctx->pool : NULL);
  return QINFER_OK;
}
