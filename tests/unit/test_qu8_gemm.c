/* Every kernel of the quantized gemm family (qi_qu8_gemm_config_list) that this CPU can run, against the naive
 * oracle of tests/unit/qu8_gemm_tester.h, exactly (tolerance 0); the others are reported as skipped with the
 * CPU features they need. Per kernel: the random grid (M, N, K below / equal / above the tile and the k-block,
 * uint8 and int8 tensors, per-channel scales, zero points, clamps, both stores, no write outside the output)
 * and the boundary grid (every output on a rounding tie, so a one-unit accumulator error or another rounding
 * rule changes it; every column-block tail and row count). The packers are tested in test_qu8_gemm_pack.c.
 * With QINFER_BENCH=1 in the environment it also times each kernel on real layer shapes and prints GOPS. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel_list.h"
#include "qu8_gemm_tester.h"

TEST_MAIN_GLOBALS;

static void test_kernels(void) {
  size_t count;
  const qi_qu8_gemm_config *const *list = qi_qu8_gemm_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_gemm_config *cfg = list[i];
    if (!kl_runnable(cfg->name, cfg->features) || !KL_FIRST(&seen, cfg->ukernel, cfg->name)) continue;
    bool ok = true;
    const int random = qg_random_grid(cfg, &ok), boundary = qg_boundary_grid(cfg, &ok);
    CHECK_MSG(ok, "%s", cfg->name);
    printf("%s (%zux%zuc%zu): %d random cases, %d boundary cases %s\n", cfg->name, cfg->mr, cfg->nr, cfg->kr, random,
           boundary, ok ? "ok" : "FAILED");
  }
}

/* ------------------------------------------------------------------------------------------------ timing */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(void) {
  const struct {
    const char *what;
    size_t m, n, k;
  } shapes[] = {
      {"ResNet-50 3x3 conv 256->256 at 14x14", 256, 196, 2304},
      {"ResNet-50 3x3 conv 512->512 at 7x7", 512, 49, 4608},
      {"ViT-Ti fc1 192->768 on 50 tokens", 768, 50, 192},
      {"MobileNetV2 1x1 conv 96->24 at 56x56", 24, 3136, 96},
      {"ResNet-50 1x1 conv 64->256 at 56x56", 256, 3136, 64},
  };
  size_t count;
  const qi_qu8_gemm_config *const *list = qi_qu8_gemm_config_list(&count);
  for (size_t li = 0; li < count; li++) {
    const qi_qu8_gemm_config *cfg = list[li];
    if (qi_cpu_missing(cfg->features)) continue;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      const size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
      int8_t *w = calloc(m * k, 1);
      uint8_t *x = calloc(k * n, 1), *c = malloc(m * n);
      float *scale = malloc(m * sizeof(float));
      for (size_t i = 0; i < m; i++) scale[i] = 1e-3f;
      void *pw = malloc(cfg->packed_w_size(cfg, m, k));
      uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, cfg->nr, cfg->kr));
      cfg->pack_w(cfg, m, k, w, k, 1, NULL, scale, 0, pw);
      qi_qu8_gemm_pack_x(k, n, cfg->nr, cfg->kr, x, n, 1, 0, px);
      const qi_qu8_gemm_params params = cfg->init_params(0, 0, 255, false);
      const size_t panel = qi_qu8_gemm_panel_stride(cfg, k);
      const size_t xblk = qi_qu8_gemm_xblock_bytes(k, cfg->nr, cfg->kr);
      const size_t nb = 4 * cfg->nr; /* column blocks of 4 tiles, as the ops run them */
      double best = 1e30;
      for (int rep = 0; rep < 7; rep++) {
        const double t0 = now_s();
        for (size_t n0 = 0; n0 < n; n0 += nb)
          for (size_t p = 0; p < m; p += cfg->mr)
            cfg->ukernel(m - p < cfg->mr ? m - p : cfg->mr, n - n0 < nb ? n - n0 : nb, k,
                         (const uint8_t *)pw + p / cfg->mr * panel, px + n0 / cfg->nr * xblk, c + p * n + n0, n, 1,
                         &params);
        const double t = now_s() - t0;
        if (t < best) best = t;
      }
      printf("bench %s %s (M=%zu N=%zu K=%zu): %.1f GOPS (%.3f ms, 1 thread)\n", cfg->name, shapes[s].what, m, n, k,
             2.0 * (double)m * (double)n * (double)k / best * 1e-9, best * 1e3);
      free(w), free(x), free(c), free(scale), free(pw), free(px);
    }
  }
}

int main(void) {
  test_kernels();
  const char *b = getenv("QINFER_BENCH");
  if (b && *b == '1') bench();
  return TEST_SUMMARY();
}
