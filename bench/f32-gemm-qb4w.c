/* W4A32 gemm (kernels/f32-gemm-qb4w), both orientations, every config of qi_f32_gemm_qb4w_config_list, at block 32
 * and per-channel int4 weights: weights packed once (not timed), then driven as bench/f32-gemm.c drives the FP32
 * kernels: "w" per panel of mr rows and column blocks of about 128 floats of B; "xw" per column block of about
 * 256 KiB of packed weights (the FP32 bench's budget in bytes), each row block of A. Shapes: ViT-B/16's linear
 * layers (xw, bench/shapes.h, where the FP32 xw kernels run too) and ResNet-50 convolutions (w). */
#include <math.h>
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"

typedef struct qb4w_args {
  const qi_f32_gemm_qb4w_config *cfg;
  qb_gemm_shape sh;
  size_t block; /* 0: per-channel */
} qb4w_args;

/* Random int4 weights (channels x k, channel-major) with per-block scales and zero points. */
typedef struct qb4w_weights {
  qi_qb4w_source src;
  size_t bl;
} qb4w_weights;

static qb4w_weights make_weights(size_t channels, size_t k, size_t block) {
  const size_t src_block = block ? block : k, nb = (k + src_block - 1) / src_block;
  uint8_t *w = qb_rand_u8((channels * k + 1) / 2), *zp = qb_rand_u8((channels * nb + 1) / 2);
  const qb4w_weights r = {
      .src = {.m = channels, .k = k, .block = src_block, .w = w, .w_m_stride = k, .w_k_stride = 1, .w_signed = true,
              .scale = qb_rand_f32(channels * nb, 0.01f, 0.1f), .scale_m_stride = nb, .scale_b_stride = 1,
              .zero_point = zp, .zp_m_stride = nb, .zp_b_stride = 1},
      .bl = block ? block : qi_f32_gemm_qb4w_channel_block(k),
  };
  return r;
}
static void free_weights(qb4w_weights *w) {
  qb_free((void *)w->src.w), qb_free((void *)w->src.zero_point), qb_free((void *)w->src.scale);
}

static const qi_f32_minmax_params no_clamp = {-INFINITY, INFINITY};

static void bench_qb4w_w(qb_state *s, const void *arg) {
  const qb4w_args *a = arg;
  const qi_f32_gemm_qb4w_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->mr;
  qb4w_weights wt = make_weights(m, k, a->block);
  float *bias = qb_rand_f32(m, -1, 1), *b = qb_rand_f32(k * n, -1, 1), *c = qb_alloc(m * n * sizeof(float));
  uint8_t *packed = qb_alloc(qi_f32_gemm_qb4w_packed_w_size(cfg, m, k, wt.bl));
  qi_f32_gemm_qb4w_pack_w(cfg, &wt.src, wt.bl, bias, packed);
  const size_t panel = qi_f32_gemm_qb4w_w_panel_stride(cfg, k, wt.bl);
  const qi_f32_qb4w_params params = {no_clamp, wt.bl};
  size_t col_block = qi_round_up(128, cfg->nr);
  if (col_block > n) col_block = n;
  while (qb_keep_running(s))
    for (size_t row0 = 0; row0 < m; row0 += mr)
      for (size_t col0 = 0; col0 < n; col0 += col_block) {
        const size_t rows = m - row0 < mr ? m - row0 : mr, cols = n - col0 < col_block ? n - col0 : col_block;
        cfg->ukernel(rows, cols, k, packed + row0 / mr * panel, b + col0, n, c + row0 * n + col0, n, &params);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_f32(cfg->features));
  free_weights(&wt), qb_free(bias), qb_free(b), qb_free(c), qb_free(packed);
}

static void bench_qb4w_xw(qb_state *s, const void *arg) {
  const qb4w_args *a = arg;
  const qi_f32_gemm_qb4w_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->xw_mr, nr = cfg->xw_nr;
  qb4w_weights wt = make_weights(n, k, a->block);
  float *x = qb_rand_f32(m * k, -1, 1), *bias = qb_rand_f32(n, -1, 1), *c = qb_alloc(m * n * sizeof(float));
  uint8_t *packed = qb_alloc(qi_f32_gemm_qb4w_packed_xw_size(cfg, n, k, wt.bl));
  qi_f32_gemm_qb4w_pack_xw(cfg, &wt.src, wt.bl, bias, packed);
  const size_t panel = qi_f32_gemm_qb4w_xw_panel_stride(cfg, k, wt.bl);
  size_t col_block = 262144 / panel * nr;
  if (col_block < nr) col_block = nr;
  if (col_block > n) col_block = n;
  const qi_f32_qb4w_params params = {no_clamp, wt.bl};
  while (qb_keep_running(s))
    for (size_t col0 = 0; col0 < n; col0 += col_block)
      for (size_t row0 = 0; row0 < m; row0 += mr) {
        const size_t rows = m - row0 < mr ? m - row0 : mr, cols = n - col0 < col_block ? n - col0 : col_block;
        cfg->xw_ukernel(rows, cols, k, x + row0 * k, k, packed + col0 / nr * panel, c + row0 * n + col0, n, &params);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_f32(cfg->features));
  free_weights(&wt), qb_free(x), qb_free(bias), qb_free(c), qb_free(packed);
}

/* Cache-resident, then ResNet-50's conv4_x 1x1 (1024 -> 256 on 14x14) and conv2_x 3x3 (im2col K 576). */
static const qb_gemm_shape w_shapes[] = {{64, 256, 256}, {256, 196, 1024}, {64, 3136, 576}};
static const size_t blocks[] = {32, 0};

void qb_register_f32_gemm_qb4w(void) {
  size_t count;
  const qi_f32_gemm_qb4w_config *const *list = qi_f32_gemm_qb4w_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_f32_gemm_qb4w_config *cfg = list[i];
    const char *names[] = {cfg->name, cfg->xw_name};
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t bi = 0; bi < QB_COUNT(blocks); bi++) {
      const char *bl = blocks[bi] ? "32" : "channel";
      for (size_t j = 0; j < QB_COUNT(w_shapes); j++) {
        const qb4w_args args = {cfg, w_shapes[j], blocks[bi]};
        snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu/bl:%s", args.sh.m, args.sh.n, args.sh.k, bl);
        QB_ADD(cfg->name, cfg->ukernel, shape, bench_qb4w_w, args);
      }
      const qb4w_args small = {cfg, {64, 256, 256}, blocks[bi]};
      snprintf(shape, sizeof shape, "M:64/N:256/K:256/bl:%s", bl);
      QB_ADD(cfg->xw_name, cfg->xw_ukernel, shape, bench_qb4w_xw, small);
      for (size_t j = 0; j < QB_COUNT(qb_gemm_vitb_shapes); j++) {
        const qb4w_args args = {cfg, qb_gemm_vitb_shapes[j], blocks[bi]};
        snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu/bl:%s", args.sh.m, args.sh.n, args.sh.k, bl);
        QB_ADD(cfg->xw_name, cfg->xw_ukernel, shape, bench_qb4w_xw, args);
      }
    }
  }
}
