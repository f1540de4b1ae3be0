/* W4A8 gemm (kernels/qu8-gemm-qb4w), every config of its list, driven as bench/qu8-gemm.c drives the int8
 * family (weights and activations packed once, not timed; per column block of 4 x nr columns, every panel of mr
 * rows) on the same shapes: uint4 weights in blocks of 32 along K (the main W4A8 format) at every shape,
 * and per-channel (one block spanning K) at the cache-resident ones. Ops: 2 M N K. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"

typedef struct qb4w_args {
  const qi_qu8_gemm_qb4w_config *cfg;
  qb_gemm_shape sh;
  size_t block; /* 0: per channel */
} qb4w_args;

static void bench_qb4w(qb_state *s, const void *arg) {
  const qb4w_args *a = arg;
  const qi_qu8_gemm_qb4w_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->mr, nr = cfg->nr;
  const size_t bl = a->block ? a->block : qi_qu8_gemm_qb4w_channel_block(k), nb = (k + bl - 1) / bl;
  uint8_t *w = qb_rand_u8((m * k + 1) / 2), *x = qb_rand_u8(k * n);
  float *scale = qb_rand_f32(m * nb, 1e-4f, 2e-4f);
  const qi_qb4w_source src = {.m = m, .k = k, .block = a->block ? a->block : k, .w = w, .w_m_stride = k,
                              .w_k_stride = 1, .w_signed = false, .scale = scale, .scale_m_stride = nb,
                              .scale_b_stride = 1, .zero_point_default = 8};
  void *packed_w = qb_alloc(qi_qu8_gemm_qb4w_packed_size(cfg, m, k, bl));
  uint8_t *packed_x = qb_alloc(qi_qu8_gemm_packed_x_bytes(k, n, nr, cfg->kr));
  uint8_t *c = qb_alloc(m * n);
  qi_qu8_gemm_qb4w_pack_w(cfg, &src, bl, scale, NULL, NULL, 128, packed_w);
  cfg->pack_x(k, n, nr, cfg->kr, x, n, 1, qi_act_domain_flip(cfg->x_domain, false), packed_x);
  const qi_qu8_gemm_qb4w_params params = {qi_qu8_gemm_params_init(128, 0, 255, 0), bl};
  const size_t panel = qi_qu8_gemm_qb4w_panel_bytes(mr, k, bl), xblock = qi_qu8_gemm_xblock_bytes(k, nr, cfg->kr);
  const size_t block = 4 * nr;
  while (qb_keep_running(s))
    for (size_t c0 = 0; c0 < n; c0 += block)
      for (size_t m0 = 0; m0 < m; m0 += mr) {
        const size_t rows = m - m0 < mr ? m - m0 : mr, nc = n - c0 < block ? n - c0 : block;
        cfg->ukernel(rows, nc, k, (const uint8_t *)packed_w + m0 / mr * panel, packed_x + c0 / nr * xblock,
                     c + m0 * n + c0, n, 1, &params);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_int8(cfg->features));
  qb_free(w), qb_free(x), qb_free(scale), qb_free(packed_w), qb_free(packed_x), qb_free(c);
}

void qb_register_qu8_gemm_qb4w(void) {
  size_t count;
  const qi_qu8_gemm_qb4w_config *const *list = qi_qu8_gemm_qb4w_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&list[i]->name, 1, list[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_gemm_shapes); j++)
      for (size_t per_channel = 0; per_channel < (j < 2 ? 2 : 1); per_channel++) {
        const qb4w_args args = {list[i], qb_gemm_shapes[j], per_channel ? 0 : 32};
        snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu/BL:%s", args.sh.m, args.sh.n, args.sh.k,
                 per_channel ? "channel" : "32");
        QB_ADD(list[i]->name, list[i]->ukernel, shape, bench_qb4w, args);
      }
  }
}
