/* qu8 gemm (requantizing) and qu8 gemm-s32 (int32 output), every config of their lists, driven as the engine's
 * tiled driver (engine/ops/quant_conv.c) drives them: weights and activations packed once (not timed), then per
 * column block of 4 x nr columns, every panel of mr rows. Ops: 2 M N K. And each config's activation packer
 * (pack_x) on the pointwise convolutions' input planes (k planes of n pixels, n stride 1): ops = bytes packed. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "kernels/qu8-gemm/qu8-gemm.h"

typedef struct qgemm_args {
  const qi_qu8_gemm_config *layout; /* the packing and tile (qu8 gemm: the config itself) */
  qi_qu8_gemm_s32_ukernel_fn s32;   /* NULL: layout's requantizing ukernel */
  uint32_t features;
  qb_gemm_shape sh;
} qgemm_args;

static void bench_qgemm(qb_state *s, const void *arg) {
  const qgemm_args *a = arg;
  const qi_qu8_gemm_config *cfg = a->layout;
  const size_t m = a->sh.m, n = a->sh.n, k = a->sh.k, mr = cfg->mr, nr = cfg->nr;
  int8_t *w = (int8_t *)qb_rand_u8(m * k);
  int32_t *bias = qb_alloc(m * sizeof(int32_t));
  float *scale = qb_rand_f32(m, 1e-4f, 2e-4f);
  uint8_t *x = qb_rand_u8(k * n);
  void *packed_w = qb_alloc(cfg->packed_w_size(cfg, m, k));
  uint8_t *packed_x = qb_alloc(qi_qu8_gemm_packed_x_bytes(k, n, nr, cfg->kr));
  const size_t out_bytes = a->s32 ? sizeof(int32_t) : 1;
  uint8_t *c = qb_alloc(m * n * out_bytes);
  cfg->pack_w(cfg, m, k, w, k, 1, bias, scale, 128, packed_w);
  qi_qu8_gemm_pack_x(k, n, nr, cfg->kr, x, n, 1, 0, packed_x);
  const qi_qu8_gemm_params params = cfg->init_params(128, 0, 255, false);
  const size_t panel = qi_qu8_gemm_panel_stride(cfg, k), xblock = qi_qu8_gemm_xblock_bytes(k, nr, cfg->kr);
  const size_t block = 4 * nr;
  while (qb_keep_running(s))
    for (size_t c0 = 0; c0 < n; c0 += block)
      for (size_t m0 = 0; m0 < m; m0 += mr) {
        const size_t rows = m - m0 < mr ? m - m0 : mr, nc = n - c0 < block ? n - c0 : block;
        const uint8_t *wp = (const uint8_t *)packed_w + m0 / mr * panel, *xp = packed_x + c0 / nr * xblock;
        if (a->s32) a->s32(rows, nc, k, wp, xp, (int32_t *)(void *)c + m0 * n + c0, n, 1);
        else cfg->ukernel(rows, nc, k, wp, xp, c + m0 * n + c0, n, 1, &params);
      }
  qb_report(s, 2.0 * (double)m * (double)n * (double)k, qb_peak_int8(a->features));
  qb_free(w), qb_free(bias), qb_free(scale), qb_free(x), qb_free(packed_w), qb_free(packed_x), qb_free(c);
}

typedef struct pack_x_args {
  qi_qu8_gemm_pack_x_fn pack_x;
  size_t nr, kr, k, n;
} pack_x_args;

static void bench_pack_x(qb_state *s, const void *arg) {
  const pack_x_args *a = arg;
  uint8_t *x = qb_rand_u8(a->k * a->n), *packed = qb_alloc(qi_qu8_gemm_packed_x_bytes(a->k, a->n, a->nr, a->kr));
  while (qb_keep_running(s)) a->pack_x(a->k, a->n, a->nr, a->kr, x, a->n, 1, 0x80, packed);
  qb_report(s, (double)a->k * (double)a->n, QB_PEAK_COUNT); /* bytes: no peak to compare with */
  qb_free(x), qb_free(packed);
}

/* The packers' names (the config holds only the pointer). */
static const char *pack_x_name(qi_qu8_gemm_pack_x_fn f) {
#if defined(__x86_64__) || defined(__i386__)
  if (f == qi_qu8_gemm_pack_x__avx2) return "qi_qu8_gemm_pack_x__avx2";
#endif /* x86 */
#if defined(__aarch64__) || defined(__ARM_NEON)
  if (f == qi_qu8_gemm_pack_x__neon) return "qi_qu8_gemm_pack_x__neon";
#endif /* ARM NEON */
  return f == qi_qu8_gemm_pack_x ? "qi_qu8_gemm_pack_x" : NULL;
}

static void add_pack_x_shapes(const qi_qu8_gemm_config *cfg) {
  /* MobileNetV2's first expansion, a 56x56 and a 7x7 one, ResNet-50's 14x14 1x1 */
  static const size_t kn[][2] = {{16, 12544}, {24, 3136}, {160, 49}, {1024, 196}};
  char shape[64];
  for (size_t j = 0; j < QB_COUNT(kn); j++) {
    const pack_x_args args = {cfg->pack_x, cfg->nr, cfg->kr, kn[j][0], kn[j][1]};
    snprintf(shape, sizeof shape, "NR:%zu/K:%zu/N:%zu", cfg->nr, args.k, args.n);
    QB_ADD(pack_x_name(cfg->pack_x), cfg->pack_x, shape, bench_pack_x, args);
  }
}

static void add_shapes(const char *name, const void *fn, const qgemm_args *base) {
  char shape[96];
  for (size_t j = 0; j < QB_COUNT(qb_gemm_shapes); j++) {
    qgemm_args args = *base;
    args.sh = qb_gemm_shapes[j];
    snprintf(shape, sizeof shape, "M:%zu/N:%zu/K:%zu", args.sh.m, args.sh.n, args.sh.k);
    QB_ADD(name, fn, shape, bench_qgemm, args);
  }
}

void qb_register_qu8_gemm(void) {
  size_t count;
  const qi_qu8_gemm_config *const *list = qi_qu8_gemm_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[2] = {list[i]->name, pack_x_name(list[i]->pack_x)};
    if (!qb_runnable(names, 2, list[i]->features)) continue;
    const qgemm_args base = {list[i], NULL, list[i]->features, {0, 0, 0}};
    add_shapes(list[i]->name, list[i]->ukernel, &base);
    add_pack_x_shapes(list[i]);
  }
  const qi_qu8_gemm_s32_config *const *s32 = qi_qu8_gemm_s32_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&s32[i]->name, 1, s32[i]->features)) continue;
    const qgemm_args base = {&s32[i]->layout, s32[i]->ukernel, s32[i]->features, {0, 0, 0}};
    add_shapes(s32[i]->name, s32[i]->ukernel, &base);
  }
}
