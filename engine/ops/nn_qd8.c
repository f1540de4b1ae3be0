#include "engine/ops/nn_qd8.h"

#include <math.h>

#include "engine/threadpool.h"
#include "kernels/f32-gemm/f32-gemm.h"

bool qi_qd8_linear_fits(const qi_qb4w_source *src) {
  return src->k >= 1 && (src->block >= src->k || src->block % QI_QD8_QB4W_GROUP == 0);
}

qi_status qi_qd8_linear_prepare(qi_node_rt *rt, int slot, const qi_qb4w_source *src, const float *bias,
                                const qi_node *n, qi_qd8_linear *out, qi_error *err) {
  if (!qi_qd8_linear_fits(src))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "block size %zu: the dynamic W4A8 kernels take multiples of 8",
                        src->block);
  const qi_qd8_f32_qb4w_gemm_config *cfg = qi_qd8_f32_qb4w_gemm_config_get(rt->isa);
  *out = (qi_qd8_linear){.cfg = cfg, .n = src->m, .k = src->k};
  out->bl = src->block >= src->k ? (src->k + QI_QD8_QB4W_GROUP - 1) / QI_QD8_QB4W_GROUP * QI_QD8_QB4W_GROUP
                                 : src->block;
  out->nb = (src->k + out->bl - 1) / out->bl;
  out->panel_stride = qi_qd8_f32_qb4w_panel_bytes(cfg->nr, src->k, out->bl);
  bool fresh;
  void *packed = qi_rt_packed(rt, slot, qi_qd8_f32_qb4w_gemm_packed_size(cfg, src->m, src->k, out->bl), &fresh);
  if (!packed) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory packing 4-bit weights");
  if (fresh) qi_qd8_f32_qb4w_gemm_pack(cfg, src, out->bl, bias, packed);
  out->packed = packed;
  rt->kernel = cfg->name;
  return QINFER_OK;
}

/* Scratch: the rows' codes (m x nb * bl bytes), then their scales (m x nb floats) and sums (m x nb int32). */
size_t qi_qd8_linear_scratch_bytes(const qi_qd8_linear *l, size_t m) {
  return m * l->nb * (l->bl + sizeof(float) + sizeof(int32_t));
}

typedef struct qd8_task {
  const qi_qd8_linear *l;
  size_t m, row_blocks, col_block;
  const float *a;
  size_t a_stride;
  float *y;
  size_t y_stride;
  int8_t *q;
  float *scale;
  int32_t *sum;
  qi_qd8_f32_qb4w_params params;
} qd8_task;

static void qd8_rows(void *arg, size_t begin, size_t end) {
  const qd8_task *t = arg;
  const qi_qd8_linear *l = t->l;
  for (size_t r = begin; r < end; r++)
    l->cfg->quantize_row(l->k, l->bl, t->a + r * t->a_stride, t->q + r * l->nb * l->bl, t->scale + r * l->nb,
                         t->sum + r * l->nb);
}

static void qd8_tiles(void *arg, size_t begin, size_t end) {
  const qd8_task *t = arg;
  const qi_qd8_linear *l = t->l;
  const size_t mr = l->cfg->mr, row_bytes = l->nb * l->bl;
  for (size_t i = begin; i < end; i++) {
    const size_t col0 = i / t->row_blocks * t->col_block, row0 = i % t->row_blocks * mr;
    const size_t rows = t->m - row0 < mr ? t->m - row0 : mr;
    const size_t cols = l->n - col0 < t->col_block ? l->n - col0 : t->col_block;
    l->cfg->ukernel(rows, cols, l->k, t->q + row0 * row_bytes, row_bytes, t->scale + row0 * l->nb,
                    t->sum + row0 * l->nb, l->nb, (const uint8_t *)l->packed + col0 / l->cfg->nr * l->panel_stride,
                    t->y + row0 * t->y_stride + col0, t->y_stride, &t->params);
  }
}

void qi_qd8_linear_run(const qi_qd8_linear *l, size_t m, const float *a, size_t a_stride, float *y, size_t y_stride,
                       void *scratch, qi_threadpool *pool) {
  if (m == 0 || l->n == 0) return;
  const size_t nr = l->cfg->nr;
  qd8_task t = {.l = l, .m = m, .row_blocks = qi_div_round_up(m, l->cfg->mr), .a = a, .a_stride = a_stride, .y = y,
                .y_stride = y_stride, .q = scratch, .params = {-INFINITY, INFINITY, l->bl}};
  t.scale = (float *)(void *)(t.q + m * l->nb * l->bl);
  t.sum = (int32_t *)(void *)(t.scale + m * l->nb);
  qi_parallel_for(pool, m, 4, qd8_rows, &t);
  /* Column blocks of about 32 KiB of packed weights, whole panels: every row tile runs past one block before the
   * next is read. */
  const size_t panels = qi_div_round_up(32768, l->panel_stride ? l->panel_stride : 1);
  t.col_block = (panels ? panels : 1) * nr;
  if (t.col_block > l->n) t.col_block = qi_round_up(l->n, nr);
  qi_parallel_for(pool, qi_div_round_up(l->n, t.col_block) * t.row_blocks, 1, qd8_tiles, &t);
}
