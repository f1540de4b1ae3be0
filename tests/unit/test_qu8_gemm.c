/* The quantized gemm family (kernels/qu8-gemm) against naive oracles, exactly (tolerance 0):
 *   - packers: qi_qu8_gemm_pack_x and qi_qu8_im2col_packed byte for byte against the documented layout built
 *     from a naive column matrix; qi_qu8_gemm_pack_w's folded bias against an int64 sum;
 *   - every ukernel the CPU can run (others reported as skipped): M, N, K below / equal / above the tile and
 *     the k-block, uint8 and int8 tensors (sign flip), per-channel scales, zero points, clamps, both stores
 *     (column stride 1 and the transposed one), no write outside the output; the oracle is an int64 dot
 *     product of (x - x_zp) * w plus the bias, then kernels/requant.h's rule.
 * With QINFER_BENCH=1 in the environment it also times each ukernel on real layer shapes and prints GOPS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/isa.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/requant.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static int rnd_range(uint32_t *s, int lo, int hi) { return lo + (int)(rnd(s) % (uint32_t)(hi - lo + 1)); }

static const qi_isa paths[] = {QI_ISA_SCALAR, QI_ISA_AVX2, QI_ISA_AVXVNNI, QI_ISA_AVX512VNNI,
                                   QI_ISA_NEON, QI_ISA_NEONDOT, QI_ISA_NEONI8MM};

/* The config a path uses, or NULL when the CPU lacks it or it falls back to another path's kernel (tested there). */
static const qi_qu8_gemm_config *path_config(qi_isa isa) {
  if (!qi_isa_available(isa)) return NULL;
  const qi_qu8_gemm_config *cfg = qi_qu8_gemm_config_get(isa);
  if (isa != QI_ISA_SCALAR && cfg == qi_qu8_gemm_config_get(QI_ISA_SCALAR)) return NULL;
  for (size_t i = 0; i < sizeof paths / sizeof paths[0] && paths[i] != isa; i++)
    if (qi_isa_available(paths[i]) && qi_qu8_gemm_config_get(paths[i]) == cfg) return NULL; /* same kernel */
  return cfg;
}

typedef struct gemm_case {
  size_t m, n, k;
  int int8;      /* int8 activations / output (sign flip) */
  int transpose; /* store C[m][n] at n * M + m (MatMul) instead of m * N + n */
  int clamp;     /* narrow qmin / qmax */
} gemm_case;

static int run_gemm(const qi_qu8_gemm_config *cfg, const gemm_case *t, uint32_t seed) {
  const size_t m = t->m, n = t->n, k = t->k;
  int8_t *w = malloc(m * k);
  uint8_t *x = malloc(k * n); /* raw tensor bytes (int8 values stored as bytes when t->int8) */
  int32_t *bias = malloc(m * sizeof(int32_t));
  float *scale = malloc(m * sizeof(float));
  for (size_t i = 0; i < m * k; i++) w[i] = (int8_t)rnd_range(&seed, -128, 127);
  for (size_t i = 0; i < k * n; i++) x[i] = (uint8_t)rnd_range(&seed, 0, 255);
  const int32_t lo = t->int8 ? -128 : 0, hi = t->int8 ? 127 : 255;
  const int32_t x_zp = rnd_range(&seed, lo, hi), y_zp = rnd_range(&seed, lo, hi);
  int32_t qmin = lo, qmax = hi;
  if (t->clamp) {
    qmin = rnd_range(&seed, lo, y_zp);
    qmax = rnd_range(&seed, y_zp, hi);
  }
  for (size_t i = 0; i < m; i++) {
    bias[i] = rnd_range(&seed, -200000, 200000);
    /* spread the outputs over the whole range, some channels saturating */
    scale[i] = (float)((0.5 + (rnd(&seed) % 1000) / 500.0) / (80.0 * sqrt((double)k) + 2000.0));
  }
  const uint8_t flip = t->int8 ? 0x80 : 0;
  const size_t mr = cfg->mr, nr = cfg->nr;
  const size_t wb = cfg->w_bytes;
  void *pw = malloc(qi_qu8_gemm_packed_w_bytes(m, k, mr, wb));
  uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, nr));
  const size_t c_size = m * n + 64;
  uint8_t *c = malloc(c_size);
  memset(c, 0xa5, c_size);
  qi_qu8_gemm_pack_w(m, k, mr, wb, w, k, 1, bias, scale, x_zp + (flip ? 128 : 0), pw);
  qi_qu8_gemm_pack_x(k, n, nr, x, n, 1, flip, px);
  const int32_t off = flip ? 128 : 0;
  const qi_qu8_gemm_params params = qi_qu8_gemm_params_init(y_zp + off, qmin + off, qmax + off, flip);
  const size_t rs = t->transpose ? 1 : n, cs = t->transpose ? m : 1;
  for (size_t p = 0; p < m; p += mr)
    cfg->ukernel(m - p < mr ? m - p : mr, n, k, (const uint8_t *)pw + p / mr * qi_qu8_gemm_panel_bytes(k, mr, wb), px,
                 c + p * rs, rs, cs, &params);
  int ok = 1;
  for (size_t i = 0; i < m && ok; i++)
    for (size_t j = 0; j < n; j++) {
      int64_t acc = bias[i];
      for (size_t kk = 0; kk < k; kk++) {
        const int32_t xv = t->int8 ? (int8_t)x[kk * n + j] : x[kk * n + j];
        acc += (int64_t)w[i * k + kk] * (xv - x_zp);
      }
      const int32_t want = qi_requant_fp32((int32_t)acc, scale[i], y_zp, qmin, qmax);
      const uint8_t byte = c[i * rs + j * cs];
      const int32_t got = t->int8 ? (int8_t)byte : byte;
      if (got != want) {
        fprintf(stderr,
                "%s: M=%zu N=%zu K=%zu tile %zux%zuc4 %s%s: c[%zu][%zu] = %d, want %d (acc %lld, scale %.9g, x_zp %d, "
                "y_zp %d, q [%d, %d])\n",
                cfg->name, m, n, k, mr, nr, t->int8 ? "int8" : "uint8", t->transpose ? " transposed" : "", i, j, got,
                want, (long long)acc, (double)scale[i], x_zp, y_zp, qmin, qmax);
        ok = 0;
        break;
      }
    }
  for (size_t i = m * n; i < c_size; i++)
    if (c[i] != 0xa5) {
      fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the output\n", cfg->name, m, n, k);
      ok = 0;
      break;
    }
  CHECK(ok);
  free(w), free(x), free(bias), free(scale), free(pw), free(px), free(c);
  return ok;
}

static void test_ukernels(void) {
  for (size_t pi = 0; pi < sizeof paths / sizeof paths[0]; pi++) {
    const qi_qu8_gemm_config *cfg = path_config(paths[pi]);
    if (!cfg) {
      printf("qu8 gemm path %s: skipped (%s)\n", qi_isa_name(paths[pi]),
             qi_isa_available(paths[pi]) ? "no kernel of its own" : "not available on this CPU");
      continue;
    }
    const size_t mr = cfg->mr, nr = cfg->nr;
    const size_t ms[] = {1, mr - 1 ? mr - 1 : 1, mr, mr + 1, 2 * mr + 3, 24};
    const size_t ns[] = {1, nr - 1 ? nr - 1 : 1, nr, nr + 1, 3 * nr + 5, 49};
    const size_t ks[] = {1, 2, 3, 4, 5, 8, 9, 16, 27, 64, 147, 577};
    int cases = 0, ok = 1;
    uint32_t seed = 12345;
    for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
      for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
        for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
          const gemm_case t = {ms[a], ns[b], ks[c], cases % 2, (cases / 2) % 3 == 0, cases % 5 == 1};
          ok &= run_gemm(cfg, &t, seed + (uint32_t)cases);
          cases++;
        }
    /* a real layer shape and the largest K */
    const gemm_case big[] = {{24, 196, 2304, 0, 0, 0}, {17, 33, 65536, 1, 0, 0}, {33, 7, 4100, 1, 1, 1}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) ok &= run_gemm(cfg, &big[i], 99 + (uint32_t)i), cases++;
    printf("qu8 gemm path %s (%s): %d cases %s\n", qi_isa_name(paths[pi]), cfg->name, cases, ok ? "ok" : "FAILED");
  }
}

/* ------------------------------------------------------------------------------------------------ packers */

/* Byte (k, column j) of a packed block layout. */
static uint8_t packed_at(const uint8_t *packed, size_t k, size_t nr, size_t kk, size_t j) {
  const size_t kp = qi_qu8_round_up(k, 4);
  return packed[(j / nr) * nr * kp + (kk / 4) * nr * 4 + (j % nr) * 4 + kk % 4];
}

static void test_pack_x(void) {
  uint32_t seed = 7;
  int ok = 1;
  for (size_t nr = 1; nr <= 16; nr *= 2)
    for (size_t k = 1; k <= 13; k += 3)
      for (size_t n = 1; n <= 21; n += 4) {
        const size_t k_stride = n + 3, n_stride = 1; /* a strided source, then its transpose */
        uint8_t *x = malloc(k * k_stride);
        for (size_t i = 0; i < k * k_stride; i++) x[i] = (uint8_t)rnd(&seed);
        const size_t bytes = qi_qu8_gemm_packed_x_bytes(k, n, nr);
        uint8_t *p = malloc(bytes), *q = malloc(bytes);
        qi_qu8_gemm_pack_x(k, n, nr, x, k_stride, n_stride, 0x80, p);
        /* the same matrix transposed in memory: x^T[j][i] */
        uint8_t *xt = malloc(n * k);
        for (size_t i = 0; i < k; i++)
          for (size_t j = 0; j < n; j++) xt[j * k + i] = x[i * k_stride + j];
        qi_qu8_gemm_pack_x(k, n, nr, xt, 1, k, 0x80, q);
        for (size_t j = 0; j < qi_qu8_round_up(n, nr); j++)
          for (size_t i = 0; i < qi_qu8_round_up(k, 4); i++) {
            const uint8_t want = (i < k && j < n) ? x[i * k_stride + j] ^ 0x80 : packed_at(p, k, nr, i, j);
            if (packed_at(p, k, nr, i, j) != want || packed_at(q, k, nr, i, j) != want) ok = 0;
            if (i >= k && packed_at(p, k, nr, i, j) != 0) ok = 0; /* k padding is 0 */
          }
        if (!ok) fprintf(stderr, "pack_x: k=%zu n=%zu nr=%zu mismatch\n", k, n, nr);
        free(x), free(p), free(q), free(xt);
      }
  CHECK(ok);
}

static void test_pack_w(void) {
  uint32_t seed = 9;
  int ok = 1;
  for (size_t v = 0; v < 2 * 3 * 6 * 4; v++) {
    const size_t wb = 1 + v / 72, mr = 1 + 3 * (v / 24 % 3), m = 1 + 2 * (v / 4 % 6), k = 1 + 3 * (v % 4);
    int8_t *w = malloc(m * k);
    int32_t *b = malloc(m * sizeof(int32_t));
    float *s = malloc(m * sizeof(float));
    for (size_t i = 0; i < m * k; i++) w[i] = (int8_t)rnd(&seed);
    for (size_t i = 0; i < m; i++) b[i] = (int32_t)rnd(&seed) - (1 << 23), s[i] = (float)(i + 1) * 0.25f;
    const int32_t zp = (int32_t)(rnd(&seed) % 256);
    uint8_t *p = malloc(qi_qu8_gemm_packed_w_bytes(m, k, mr, wb));
    qi_qu8_gemm_pack_w(m, k, mr, wb, w, 1, m, b, s, zp, p); /* source read transposed: W[i][j] = w[j * m + i] */
    const size_t panel = qi_qu8_gemm_panel_bytes(k, mr, wb), kp = qi_qu8_round_up(k, 4);
    for (size_t i = 0; i < qi_qu8_round_up(m, mr); i++) {
      const uint8_t *pp = p + i / mr * panel;
      int32_t pb;
      float ps;
      memcpy(&pb, pp + (i % mr) * 4, 4);
      memcpy(&ps, pp + (mr + i % mr) * 4, 4);
      int64_t sum = 0;
      for (size_t j = 0; j < kp; j++) {
        const size_t at = (j / 4) * mr * 4 + (i % mr) * 4 + j % 4;
        int16_t got16 = 0;
        if (wb == 2) memcpy(&got16, pp + 8 * mr + 2 * at, 2);
        const int got = wb == 2 ? got16 : (int8_t)pp[8 * mr + at];
        const int8_t want = (i < m && j < k) ? w[j * m + i] : 0;
        if (got != want) ok = 0;
        sum += want;
      }
      const int32_t want_b = i < m ? (int32_t)(b[i] - (int64_t)zp * sum) : 0;
      if (pb != want_b || ps != (i < m ? s[i] : 0.0f)) ok = 0;
    }
    if (!ok) fprintf(stderr, "pack_w: m=%zu k=%zu mr=%zu w_bytes %zu mismatch\n", m, k, mr, wb);
    free(w), free(b), free(s), free(p);
  }
  CHECK(ok);
}

static void test_im2col(void) {
  uint32_t seed = 11;
  int ok = 1, cases = 0;
  for (int it = 0; it < 300 && ok; it++, cases++) {
    qi_window2d g = {0};
    const int one_d = it % 5 == 0, big = it >= 270; /* big: several 512-column passes of the packer */
    g.in_h = one_d ? 1 : (size_t)rnd_range(&seed, 1, big ? 40 : 9);
    g.in_w = (size_t)rnd_range(&seed, 1, big ? 70 : 11);
    g.kernel_h = one_d ? 1 : (size_t)rnd_range(&seed, 1, 4);
    g.kernel_w = (size_t)rnd_range(&seed, 1, 4);
    g.stride_h = one_d ? 1 : (size_t)rnd_range(&seed, 1, 3);
    g.stride_w = (size_t)rnd_range(&seed, 1, 3);
    g.dilation_h = one_d ? 1 : (size_t)rnd_range(&seed, 1, 2);
    g.dilation_w = (size_t)rnd_range(&seed, 1, 2);
    g.pad_top = one_d ? 0 : (size_t)rnd_range(&seed, 0, 2);
    g.pad_bottom = one_d ? 0 : (size_t)rnd_range(&seed, 0, 2);
    g.pad_left = (size_t)rnd_range(&seed, 0, 2);
    g.pad_right = (size_t)rnd_range(&seed, 0, 3);
    const long eh = (long)((g.kernel_h - 1) * g.dilation_h + 1), ew = (long)((g.kernel_w - 1) * g.dilation_w + 1);
    const long oh = ((long)(g.in_h + g.pad_top + g.pad_bottom) - eh) / (long)g.stride_h + 1;
    const long ow = ((long)(g.in_w + g.pad_left + g.pad_right) - ew) / (long)g.stride_w + 1;
    if (oh < 1 || ow < 1 || (long)(g.in_h + g.pad_top + g.pad_bottom) < eh ||
        (long)(g.in_w + g.pad_left + g.pad_right) < ew) {
      cases--;
      continue;
    }
    g.out_h = (size_t)oh, g.out_w = (size_t)ow;
    const size_t ch = (size_t)rnd_range(&seed, 1, 5), taps = g.kernel_h * g.kernel_w, k = ch * taps;
    const size_t hw = g.out_h * g.out_w, nr = (size_t[]){4, 8, 16, 12}[it % 4];
    uint8_t *x = malloc(ch * g.in_h * g.in_w);
    for (size_t i = 0; i < ch * g.in_h * g.in_w; i++) x[i] = (uint8_t)rnd(&seed);
    const size_t p0 = (size_t)rnd_range(&seed, 0, (int)hw - 1), p1 = (size_t)rnd_range(&seed, (int)p0 + 1, (int)hw);
    const uint8_t flip = it % 2 ? 0x80 : 0, pad = (uint8_t)rnd(&seed);
    uint8_t *p = malloc(qi_qu8_gemm_packed_x_bytes(k, p1 - p0, nr));
    qi_qu8_im2col_packed(&g, ch, x, flip, pad, p0, p1, nr, p);
    for (size_t row = 0; row < qi_qu8_round_up(k, 4) && ok; row++)
      for (size_t j = 0; j < qi_qu8_round_up(p1 - p0, nr); j++) {
        uint8_t want = pad;
        if (row >= k) {
          want = 0;
        } else if (p0 + j < p1) {
          const size_t c = row / taps, ky = row % taps / g.kernel_w, kx = row % g.kernel_w;
          const size_t oy = (p0 + j) / g.out_w, ox = (p0 + j) % g.out_w;
          const long iy = (long)(oy * g.stride_h + ky * g.dilation_h) - (long)g.pad_top;
          const long ix = (long)(ox * g.stride_w + kx * g.dilation_w) - (long)g.pad_left;
          if (iy >= 0 && iy < (long)g.in_h && ix >= 0 && ix < (long)g.in_w)
            want = x[(c * g.in_h + (size_t)iy) * g.in_w + (size_t)ix] ^ flip;
        }
        if (packed_at(p, k, nr, row, j) != want) {
          fprintf(stderr,
                  "im2col_packed: %zux%zu k%zux%zu s%zu,%zu d%zu,%zu pads %zu,%zu ch %zu pixels [%zu, %zu) nr %zu: "
                  "row %zu col %zu = %u, want %u\n",
                  g.in_h, g.in_w, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w,
                  g.pad_top, g.pad_left, ch, p0, p1, nr, row, j, packed_at(p, k, nr, row, j), want);
          ok = 0;
          break;
        }
      }
    free(x), free(p);
  }
  printf("im2col_packed: %d geometries\n", cases);
  CHECK(ok);
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
      {"MobileNetV2 1x1 conv 96->24 at 56x56", 24, 3136, 96},
      {"ResNet-50 1x1 conv 64->256 at 56x56", 256, 3136, 64},
  };
  for (size_t pi = 0; pi < sizeof paths / sizeof paths[0]; pi++) {
    const qi_qu8_gemm_config *cfg = path_config(paths[pi]);
    if (!cfg) continue;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      const size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
      int8_t *w = calloc(m * k, 1);
      uint8_t *x = calloc(k * n, 1), *c = malloc(m * n);
      float *scale = malloc(m * sizeof(float));
      for (size_t i = 0; i < m; i++) scale[i] = 1e-3f;
      void *pw = malloc(qi_qu8_gemm_packed_w_bytes(m, k, cfg->mr, cfg->w_bytes));
      uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, cfg->nr));
      qi_qu8_gemm_pack_w(m, k, cfg->mr, cfg->w_bytes, w, k, 1, NULL, scale, 0, pw);
      qi_qu8_gemm_pack_x(k, n, cfg->nr, x, n, 1, 0, px);
      const qi_qu8_gemm_params params = qi_qu8_gemm_params_init(0, 0, 255, 0);
      const size_t panel = qi_qu8_gemm_panel_bytes(k, cfg->mr, cfg->w_bytes);
      const size_t xblk = qi_qu8_gemm_xblock_bytes(k, cfg->nr);
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
  test_pack_w();
  test_pack_x();
  test_im2col();
  test_ukernels();
  const char *b = getenv("QINFER_BENCH");
  if (b && *b == '1') bench();
  return TEST_SUMMARY();
}
