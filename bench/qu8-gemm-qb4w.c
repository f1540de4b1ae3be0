/* W4A8 gemm (kernels/qu8-gemm-qb4w), every config of its list, driven as the int8 family's benchmark drives its
 * kernels (bench/qu8-gemm.c): weights and activations packed once (not timed), then per column block of 4 x nr
 * columns, every panel of mr rows. Ops: 2 M N K. Each shape runs per-channel (one block) and with blocks of 32,
 * and the int8 family's kernels run at the same shapes, so the two families compare at equal work. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

/* C[M, N] = W[M, K] X[K, N]: cache-resident sizes, ResNet-50 3x3 convolutions as their im2col product (K 2304,
 * 4608) and ViT-B/16's linear layers on its 197 tokens (M = output features, N = tokens: qkv, fc1, fc2). */
static const struct {
  size_t m, n, k;
} shapes[] = {
    {16, 128, 64},    /* cache-resident (L1 + L2) */
    {64, 256, 256},   /* cache-resident (L2) */
    {256, 196, 2304}, /* ResNet-50 conv4_x 3x3 256->256 on 14x14 */
    {512, 49, 4608},  /* ResNet-50 conv5_x 3x3 512->512 on 7x7 */
    {2304, 197, 768}, /* ViT-B qkv projection 768 -> 3 x 768 */
    {3072, 197, 768}, /* ViT-B MLP fc1 */
    {768, 197, 3072}, /* ViT-B MLP fc2 */
};

/* One benchmark of either family: cfg4 (W4A8, block 0: per-channel) or cfg8 (the int8 family). */
typedef struct qb4w_args {
  const qi_qu8_gemm_qb4w_config *cfg4;
  const qi_qu8_gemm_config *cfg8;
  size_t m, n, k, block;
} qb4w_args;

/* Packed weights, their panel stride and the packed activations of one benchmark (not timed). */
typedef struct qb4w_data {
  void *packed_w;
  uint8_t *packed_x;
  size_t panel, mr, nr, kr;
  qi_qu8_gemm_qb4w_params p4;
  qi_qu8_gemm_params p8;
} qb4w_data;

static qb4w_data pack_qb4w(const qb4w_args *a) {
  const qi_qu8_gemm_qb4w_config *cfg = a->cfg4;
  const size_t m = a->m, k = a->k, bl = a->block ? a->block : qi_qu8_gemm_qb4w_channel_block(k);
  const size_t nb = (k + bl - 1) / bl;
  uint8_t *w = qb_rand_u8((m * k + 1) / 2), *zp = qb_rand_u8((m * nb + 1) / 2);
  float *scale = qb_rand_f32(m * nb, 1e-4f, 2e-4f);
  const qi_qb4w_source src = {.m = m, .k = k, .block = a->block ? a->block : k, .w = w, .w_m_stride = k,
                              .w_k_stride = 1, .w_signed = true, .scale = scale, .scale_m_stride = nb,
                              .scale_b_stride = 1, .zero_point = zp, .zp_m_stride = nb, .zp_b_stride = 1};
  qb4w_data d = {.packed_w = qb_alloc(qi_qu8_gemm_qb4w_packed_size(cfg, m, k, bl)),
                 .panel = qi_qu8_gemm_qb4w_panel_bytes(cfg->mr, k, bl), .mr = cfg->mr, .nr = cfg->nr, .kr = cfg->kr,
                 .p4 = {qi_qu8_gemm_params_make(128, 0, 255, false), bl}};
  qi_qu8_gemm_qb4w_pack_w(cfg, &src, bl, scale, NULL, NULL, 128, d.packed_w);
  qb_free(w), qb_free(zp), qb_free(scale);
  return d;
}

static qb4w_data pack_qc8w(const qb4w_args *a) {
  const qi_qu8_gemm_config *cfg = a->cfg8;
  int8_t *w = (int8_t *)qb_rand_u8(a->m * a->k);
  float *scale = qb_rand_f32(a->m, 1e-4f, 2e-4f);
  qb4w_data d = {.packed_w = qb_alloc(cfg->packed_w_size(cfg, a->m, a->k)), .panel = qi_qu8_gemm_panel_stride(cfg, a->k),
                 .mr = cfg->mr, .nr = cfg->nr, .kr = cfg->kr, .p8 = cfg->init_params(128, 0, 255, false)};
  cfg->pack_w(cfg, a->m, a->k, w, a->k, 1, NULL, scale, 128, d.packed_w);
  qb_free(w), qb_free(scale);
  return d;
}

static void bench_qb4w(qb_state *s, const void *arg) {
  const qb4w_args *a = arg;
  const size_t m = a->m, n = a->n, k = a->k;
  qb4w_data d = a->cfg4 ? pack_qb4w(a) : pack_qc8w(a);
  uint8_t *x = qb_rand_u8(k * n), *c = qb_alloc(m * n);
  d.packed_x = qb_alloc(qi_qu8_gemm_packed_x_bytes(k, n, d.nr, d.kr));
  (a->cfg4 ? a->cfg4->pack_x : a->cfg8->pack_x)(k, n, d.nr, d.kr, x, n, 1, 0, d.packed_x);
  const size_t xblock = qi_qu8_gemm_xblock_bytes(k, d.nr, d.kr), block = 4 * d.nr, mr = d.mr;
  while (qb_keep_running(s))
    for (size_t c0 = 0; c0 < n; c0 += block)
      for (size_t m0 = 0; m0 < m; m0 += mr) {
        const size_t rows = m - m0 < mr ? m - m0 : mr, nc = n - c0 < block ? n - c0 : block;
        const uint8_t *wp = (const uint8_t *)d.packed_w + m0 / mr * d.panel, *xp = d.packed_x + c0 / d.nr * xblock;
        if (a->cfg4) a->cfg4->ukernel(rows, nc, k, wp, xp, c + m0 * n + c0, n, 1, &d.p4);
        else a->cfg8->ukernel(rows, nc, k, wp, xp, c + m0 * n + c0, n, 1, &d.p8);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k,
            qb_peak_int8(a->cfg4 ? a->cfg4->features : a->cfg8->features));
  qb_free(x), qb_free(c), qb_free(d.packed_w), qb_free(d.packed_x);
}

void qb_register_qu8_gemm_qb4w(void) {
  char shape[96];
  size_t count;
  const qi_qu8_gemm_qb4w_config *const *list = qi_qu8_gemm_qb4w_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&list[i]->name, 1, list[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(shapes); j++)
      for (size_t block = 0; block <= 32; block += 32) {
        const qb4w_args args = {list[i], NULL, shapes[j].m, shapes[j].n, shapes[j].k, block};
        snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu/BL:%s", args.m, args.n, args.k, block ? "32" : "channel");
        QB_ADD(list[i]->name, list[i]->ukernel, shape, bench_qb4w, args);
      }
  }
  const qi_qu8_gemm_config *const *i8 = qi_qu8_gemm_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&i8[i]->name, 1, i8[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(shapes); j++) {
      const qb4w_args args = {NULL, i8[i], shapes[j].m, shapes[j].n, shapes[j].k, 0};
      snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.m, args.n, args.k);
      QB_ADD(i8[i]->name, i8[i]->ukernel, shape, bench_qb4w, args);
    }
  }
}
