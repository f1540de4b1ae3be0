/* f32 gemm, both orientations, every config of qi_f32_gemm_config_list, driven as engine/ops/nn_common.c drives
 * them: weights packed once (not timed), then per panel of mr rows, column blocks of about 128 floats (W
 * packed), or per column block of about 64K floats of W, each row block of A (xw). */
#include <math.h>
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-gemm/f32-gemm.h"

typedef struct gemm_args {
  const qi_f32_gemm_config *cfg;
  qb_gemm_shape sh;
} gemm_args;

static const qi_f32_minmax_params no_clamp = {-INFINITY, INFINITY};

static void bench_gemm(qb_state *s, const void *arg) {
  const gemm_args *a = arg;
  const qi_f32_gemm_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->mr;
  float *w = qb_rand_f32(m * k, -1, 1), *bias = qb_rand_f32(m, -1, 1), *b = qb_rand_f32(k * n, -1, 1);
  float *packed = qb_alloc(qi_f32_gemm_packed_floats(m, k, mr, cfg->kr) * sizeof(float));
  float *c = qb_alloc(m * n * sizeof(float));
  cfg->pack(m, k, mr, cfg->kr, w, k, 1, bias, packed);
  const size_t panel_floats = qi_f32_gemm_panel_floats(k, mr, cfg->kr);
  size_t col_block = qi_round_up(128, cfg->nr);
  if (col_block > n) col_block = n;
  while (qb_keep_running(s))
    for (size_t row0 = 0; row0 < m; row0 += mr)
      for (size_t col0 = 0; col0 < n; col0 += col_block) {
        const size_t rows = m - row0 < mr ? m - row0 : mr, cols = n - col0 < col_block ? n - col0 : col_block;
        cfg->ukernel(rows, cols, k, packed + row0 / mr * panel_floats, b + col0, n, c + row0 * n + col0, n,
                     &no_clamp);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_f32(cfg->features));
  qb_free(w), qb_free(bias), qb_free(b), qb_free(packed), qb_free(c);
}

static void bench_gemm_xw(qb_state *s, const void *arg) {
  const gemm_args *a = arg;
  const qi_f32_gemm_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->xw_mr, nr = cfg->xw_nr;
  float *x = qb_rand_f32(m * k, -1, 1), *w = qb_rand_f32(k * n, -1, 1), *bias = qb_rand_f32(n, -1, 1);
  float *packed = qb_alloc(qi_f32_gemm_packed_floats(n, k, nr, cfg->xw_kr) * sizeof(float));
  float *c = qb_alloc(m * n * sizeof(float));
  cfg->pack(n, k, nr, cfg->xw_kr, w, 1, n, bias, packed); /* W (k x n) packed as the n x k matrix W^T */
  const size_t panel_floats = qi_f32_gemm_panel_floats(k, nr, cfg->xw_kr);
  size_t col_block = qi_round_up(65536 / k, nr);
  if (col_block < nr) col_block = nr;
  if (col_block > n) col_block = n;
  while (qb_keep_running(s))
    for (size_t col0 = 0; col0 < n; col0 += col_block)
      for (size_t row0 = 0; row0 < m; row0 += mr) {
        const size_t rows = m - row0 < mr ? m - row0 : mr, cols = n - col0 < col_block ? n - col0 : col_block;
        cfg->xw_ukernel(rows, cols, k, x + row0 * k, k, packed + col0 / nr * panel_floats, c + row0 * n + col0, n,
                        &no_clamp);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_f32(cfg->features));
  qb_free(x), qb_free(w), qb_free(bias), qb_free(packed), qb_free(c);
}

void qb_register_f32_gemm(void) {
  size_t count;
  const qi_f32_gemm_config *const *list = qi_f32_gemm_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_f32_gemm_config *cfg = list[i];
    const char *names[] = {cfg->name, cfg->xw_name};
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_gemm_shapes); j++) {
      const gemm_args args = {cfg, qb_gemm_shapes[j]};
      snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.sh.m, args.sh.n, args.sh.k);
      QB_ADD(cfg->name, cfg->ukernel, shape, bench_gemm, args);
    }
    if (!cfg->xw_ukernel) continue;
    for (size_t j = 0; j < QB_COUNT(qb_gemm_xw_shapes); j++) {
      const gemm_args args = {cfg, qb_gemm_xw_shapes[j]};
      snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.sh.m, args.sh.n, args.sh.k);
      QB_ADD(cfg->xw_name, cfg->xw_ukernel, shape, bench_gemm_xw, args);
    }
    for (size_t j = 0; j < QB_COUNT(qb_gemm_vitb_shapes); j++) { /* the W4A32 family's comparison */
      const gemm_args args = {cfg, qb_gemm_vitb_shapes[j]};
      snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.sh.m, args.sh.n, args.sh.k);
      QB_ADD(cfg->xw_name, cfg->xw_ukernel, shape, bench_gemm_xw, args);
    }
  }
}
