/* Dynamic W4A8 gemm (kernels/qd8-f32-qb4w-gemm), every config of its list: the kernel driven over the whole layer
 * as the engine drives it (rows in tiles of mr, columns in blocks of about 32 KiB of packed weights), the rows
 * quantized once beforehand (not timed); and the row quantizer on its own over the layer's rows. Ops: 2 M N K for
 * the gemm, M K (values quantized) for the quantizer. Shapes: the zoo ViT's linear layers (50 tokens, width 192,
 * MLP 768) and ViT-B/16's (197 tokens), per column and blocks of 32 along K. */
#include <stdio.h>

#include "bench/common.h"
#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"

/* C[M, N] = A[M, K] W[K, N]: M tokens. */
static const struct {
  size_t m, n, k;
} shapes[] = {
    {50, 576, 192},   /* zoo ViT qkv */
    {50, 192, 192},   /* zoo ViT attention output */
    {50, 768, 192},   /* zoo ViT MLP fc1 */
    {50, 192, 768},   /* zoo ViT MLP fc2 */
    {197, 2304, 768}, /* ViT-B/16 qkv */
    {197, 3072, 768}, /* ViT-B/16 MLP fc1 */
    {197, 768, 3072}, /* ViT-B/16 MLP fc2 */
};

typedef struct qd8_args {
  const qi_qd8_f32_qb4w_gemm_config *cfg;
  size_t m, n, k, block;
  bool quantizer; /* benchmark the row quantizer instead of the gemm */
} qd8_args;

static void bench_qd8(qb_state *s, const void *arg) {
  const qd8_args *t = arg;
  const qi_qd8_f32_qb4w_gemm_config *cfg = t->cfg;
  const size_t m = t->m, n = t->n, k = t->k, bl = t->block ? t->block : (k + 7) / 8 * 8, nb = (k + bl - 1) / bl;
  float *a = qb_rand_f32(m * k, -1.0f, 1.0f), *as = qb_alloc(m * nb * sizeof(float));
  int8_t *q = qb_alloc(m * nb * bl);
  int32_t *sum = qb_alloc(m * nb * sizeof(int32_t));
  for (size_t r = 0; r < m; r++) cfg->quantize_row(k, bl, a + r * k, q + r * nb * bl, as + r * nb, sum + r * nb);
  if (t->quantizer) {
    while (qb_keep_running(s))
      for (size_t r = 0; r < m; r++) cfg->quantize_row(k, bl, a + r * k, q + r * nb * bl, as + r * nb, sum + r * nb);
    qb_report(s, (double)m * (double)k, qb_peak_f32(cfg->features));
    qb_free(a), qb_free(as), qb_free(q), qb_free(sum);
    return;
  }
  const size_t snb = t->block ? nb : 1;
  uint8_t *w = qb_rand_u8((n * k + 1) / 2), *zp = qb_rand_u8((n * snb + 1) / 2);
  float *scale = qb_rand_f32(n * snb, 1e-3f, 2e-3f), *c = qb_alloc(m * n * sizeof(float));
  const qi_qb4w_source src = {.m = n, .k = k, .block = t->block ? t->block : k, .w = w, .w_m_stride = k,
                              .w_k_stride = 1, .scale = scale, .scale_m_stride = snb, .scale_b_stride = 1,
                              .zero_point = zp, .zp_m_stride = snb, .zp_b_stride = 1};
  void *packed = qb_alloc(qi_qd8_f32_qb4w_gemm_packed_size(cfg, n, k, bl));
  qi_qd8_f32_qb4w_gemm_pack(cfg, &src, bl, NULL, packed);
  const size_t panel = qi_qd8_f32_qb4w_panel_bytes(cfg->nr, k, bl);
  size_t col_block = (32768 + panel - 1) / panel * cfg->nr;
  const qi_qd8_f32_qb4w_params p = {-1e30f, 1e30f, bl};
  while (qb_keep_running(s))
    for (size_t c0 = 0; c0 < n; c0 += col_block)
      for (size_t r0 = 0; r0 < m; r0 += cfg->mr) {
        const size_t rows = m - r0 < cfg->mr ? m - r0 : cfg->mr, cols = n - c0 < col_block ? n - c0 : col_block;
        cfg->ukernel(rows, cols, k, q + r0 * nb * bl, nb * bl, as + r0 * nb, sum + r0 * nb, nb,
                     (const uint8_t *)packed + c0 / cfg->nr * panel, c + r0 * n + c0, n, &p);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_int8(cfg->features));
  qb_free(a), qb_free(as), qb_free(q), qb_free(sum), qb_free(w), qb_free(zp), qb_free(scale), qb_free(c);
  qb_free(packed);
}

void qb_register_qd8_f32_qb4w_gemm(void) {
  char shape[96];
  size_t count;
  const qi_qd8_f32_qb4w_gemm_config *const *list = qi_qd8_f32_qb4w_gemm_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {list[i]->name, list[i]->quantize_name};
    if (!qb_runnable(names, 2, list[i]->features)) continue;
    for (size_t j = 0; j < sizeof shapes / sizeof shapes[0]; j++)
      for (size_t block = 0; block <= 32; block += 32) {
        qd8_args args = {list[i], shapes[j].m, shapes[j].n, shapes[j].k, block, false};
        snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu/BL:%s", args.m, args.n, args.k, block ? "32" : "channel");
        QB_ADD(list[i]->name, list[i]->ukernel, shape, bench_qd8, args);
        args.quantizer = true;
        snprintf(shape, sizeof shape, "M:%zu/K:%zu/BL:%s", args.m, args.k, block ? "32" : "channel");
        QB_ADD(list[i]->quantize_name, list[i]->quantize_row, shape, bench_qd8, args);
      }
  }
}
