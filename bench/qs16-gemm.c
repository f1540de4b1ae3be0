/* W8A16 gemm (kernels/qs16-gemm), every config of its list, driven as the engine drives it: weights and
 * activations packed once (not timed), then per column block of 4 x nr columns, every panel of mr rows; 16-bit
 * outputs. Ops: 2 M N K, against the vpmaddwd peak on x86 (the instruction of the AVX2 kernel). */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qs16-gemm/qs16-gemm.h"

typedef struct qs16_args {
  const qi_qs16_gemm_config *cfg;
  qb_gemm_shape sh;
} qs16_args;

static void bench_qs16_gemm(qb_state *s, const void *arg) {
  const qs16_args *a = arg;
  const qi_qs16_gemm_config *cfg = a->cfg;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->mr, nr = cfg->nr;
  int8_t *w = (int8_t *)qb_rand_u8(m * k);
  float *scale = qb_rand_f32(m, 1e-6f, 2e-6f);
  uint16_t *x = (uint16_t *)(void *)qb_rand_u8(k * n * 2);
  void *packed_w = qb_alloc(qi_qs16_gemm_packed_w_size(m, k, mr));
  int16_t *packed_x = qb_alloc(qi_qs16_gemm_packed_x_elems(k, n, nr) * sizeof(int16_t));
  uint16_t *c = qb_alloc(m * n * sizeof(uint16_t));
  qi_qs16_gemm_pack_w(mr, m, k, w, k, 1, NULL, scale, 0, packed_w);
  qi_qs16_gemm_pack_x(k, n, nr, x, n, 1, 0, packed_x);
  const qi_qs16_gemm_params params = qi_qs16_gemm_params_init(0, -32768, 32767, 2);
  const size_t panel = qi_qs16_gemm_panel_bytes(k, mr), xblock = qi_qs16_gemm_xblock_elems(k, nr);
  const size_t block = 4 * nr;
  while (qb_keep_running(s))
    for (size_t c0 = 0; c0 < n; c0 += block)
      for (size_t m0 = 0; m0 < m; m0 += mr) {
        const size_t rows = m - m0 < mr ? m - m0 : mr, nc = n - c0 < block ? n - c0 : block;
        cfg->ukernel(rows, nc, k, (const uint8_t *)packed_w + m0 / mr * panel, packed_x + c0 / nr * xblock,
                     c + m0 * n + c0, n, 1, &params);
      }
#if defined(__x86_64__) || defined(__i386__)
  const qb_peak mix = QB_PEAK_MADDWD_YMM;
#else
  const qb_peak mix = qb_peak_int8(cfg->features);
#endif
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, mix);
  qb_free(w), qb_free(scale), qb_free(x), qb_free(packed_w), qb_free(packed_x), qb_free(c);
}

void qb_register_qs16_gemm(void) {
  size_t count;
  const qi_qs16_gemm_config *const *list = qi_qs16_gemm_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&list[i]->name, 1, list[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_gemm_shapes); j++) {
      const qs16_args args = {list[i], qb_gemm_shapes[j]};
      snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.sh.m, args.sh.n, args.sh.k);
      QB_ADD(list[i]->name, list[i]->ukernel, shape, bench_qs16_gemm, args);
    }
  }
}
