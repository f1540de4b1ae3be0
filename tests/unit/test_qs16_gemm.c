/* Every kernel of the W8A16 gemm family (qi_qs16_gemm_config_list) that this CPU can run, against a naive oracle
 * (an int64 dot product of the tensors' own values, then the requantization written from the ONNX spec),
 * exactly; the others are reported as skipped. Per kernel: random problems (M, N, K below / at / above the tile,
 * the k pair and the int32 chunk of 256; int16 and uint16 activations; int16, uint16, int8 and uint8 outputs;
 * per-channel scales, zero points, clamps; both stores; no write outside the output), problems at the extremes
 * (|x| = 32768, |w| = 128 over long K: sums far beyond int32 and beyond 2^24, where (float) of the int64 rounds)
 * and ties (scale 0.5 or 0.25: many outputs on a half). The packers qi_qs16_gemm_pack_x and
 * qi_qs16_im2col_packed are checked against a plain im2col. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qs16-gemm/qs16-gemm.h"
#include "requant_oracle.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static int range(uint32_t *s, int lo, int hi) { return lo + (int)(rnd(s) % (uint32_t)(hi - lo + 1)); }

/* saturate(round_half_even((float)acc * scale) + zp), acc an int64: (float) rounds it to nearest (C's conversion,
 * IEEE round-to-nearest-even), then requant_oracle.h's rounding spelled out in integers. */
static int32_t oracle_requant_s64(int64_t acc, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float real = (float)acc * scale;
  if (!(fabsf(real) < 16777216.0f)) return real > 0 ? qmax : qmin;
  const double q = oracle_round_half_even(real) + zp;
  return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

typedef struct problem {
  size_t m, n, k;
  bool x_u16;      /* uint16 activations, else int16 */
  int out_type;    /* 0 int16, 1 uint16, 2 int8, 3 uint8 */
  bool transpose;  /* C[m][n] at n * M + m */
  int8_t *w;       /* m x k */
  uint16_t *x;     /* k x n, the tensor's 16-bit patterns */
  int32_t *bias;
  float *scale;
  int32_t x_zp, y_zp, qmin, qmax;
} problem;

static void type_range(int out_type, int32_t *lo, int32_t *hi) {
  static const int32_t r[4][2] = {{-32768, 32767}, {0, 65535}, {-128, 127}, {0, 255}};
  *lo = r[out_type][0], *hi = r[out_type][1];
}

static int32_t x_value(const problem *p, size_t i) { return p->x_u16 ? (int32_t)p->x[i] : (int32_t)(int16_t)p->x[i]; }

static int32_t expected(const problem *p, size_t i, size_t j) {
  int64_t acc = p->bias[i];
  for (size_t kk = 0; kk < p->k; kk++) acc += (int64_t)p->w[i * p->k + kk] * (x_value(p, kk * p->n + j) - p->x_zp);
  return oracle_requant_s64(acc, p->scale[i], p->y_zp, p->qmin, p->qmax);
}

/* Packs and runs p through cfg panel by panel; false (and a message) at the first wrong output. */
static bool run_check(const qi_qs16_gemm_config *cfg, const problem *p, const char *what) {
  const size_t m = p->m, n = p->n, k = p->k, mr = cfg->mr, nr = cfg->nr;
  const size_t ob = p->out_type < 2 ? 2 : 1, guard = 64;
  void *packed_w = malloc(qi_qs16_gemm_packed_w_size(m, k, mr));
  int16_t *packed_x = malloc(qi_qs16_gemm_packed_x_elems(k, n, nr) * sizeof(int16_t));
  uint8_t *c = malloc(m * n * ob + 2 * guard);
  memset(c, 0xA5, m * n * ob + 2 * guard);
  qi_qs16_gemm_pack_w(mr, m, k, p->w, k, 1, p->bias, p->scale, qi_qs16_domain_zp(p->x_zp, p->x_u16), packed_w);
  qi_qs16_gemm_pack_x(k, n, nr, p->x, n, 1, qi_qs16_flip(p->x_u16), packed_x);
  const qi_qs16_gemm_params params = qi_qs16_gemm_params_init(p->y_zp, p->qmin, p->qmax, (uint32_t)ob);
  const size_t panel = qi_qs16_gemm_panel_bytes(k, mr);
  const size_t rs = p->transpose ? 1 : n, cs = p->transpose ? m : 1;
  /* columns in two calls where possible, so that a call starting past column 0 is covered */
  const size_t split = n > nr ? nr : n;
  for (size_t m0 = 0; m0 < m; m0 += mr) {
    const size_t rows = m - m0 < mr ? m - m0 : mr;
    const uint8_t *wp = (const uint8_t *)packed_w + m0 / mr * panel;
    uint8_t *out = c + guard + (m0 * rs) * ob;
    cfg->ukernel(rows, split, k, wp, packed_x, out, rs, cs, &params);
    if (split < n)
      cfg->ukernel(rows, n - split, k, wp, packed_x + split / nr * qi_qs16_gemm_xblock_elems(k, nr),
                   out + split * cs * ob, rs, cs, &params);
  }
  bool ok = true;
  for (size_t i = 0; i < guard && ok; i++)
    ok = c[i] == 0xA5 && c[guard + m * n * ob + i] == 0xA5;
  if (!ok) printf("%s: %s: M=%zu N=%zu K=%zu: a write outside the output\n", cfg->name, what, m, n, k);
  for (size_t i = 0; i < m && ok; i++)
    for (size_t j = 0; j < n && ok; j++) {
      const size_t at = i * rs + j * cs;
      const int32_t want = expected(p, i, j);
      const int32_t got = ob == 2 ? (p->out_type == 0 ? (int16_t)((uint16_t *)(void *)(c + guard))[at]
                                                      : ((uint16_t *)(void *)(c + guard))[at])
                                  : (p->out_type == 2 ? (int8_t)c[guard + at] : c[guard + at]);
      if (got != want) {
        printf("%s: %s: M=%zu N=%zu K=%zu tile %zux%zuc2: C[%zu][%zu] = %d, expected %d (scale %g, x_zp %d, y_zp %d, "
               "x %s, out type %d)\n", cfg->name, what, m, n, k, mr, nr, i, j, got, want, (double)p->scale[i], p->x_zp,
               p->y_zp, p->x_u16 ? "uint16" : "int16", p->out_type);
        ok = false;
      }
    }
  free(packed_w), free(packed_x), free(c);
  return ok;
}

typedef enum fill { FILL_RANDOM, FILL_EXTREME, FILL_TIES } fill;

static bool one(const qi_qs16_gemm_config *cfg, uint32_t *seed, size_t m, size_t n, size_t k, fill f, bool x_u16,
                int out_type, bool transpose) {
  problem p = {m, n, k, x_u16, out_type, transpose, malloc(m * k), malloc(k * n * 2), malloc(m * 4), malloc(m * 4),
               0, 0, 0, 0};
  int32_t lo, hi;
  type_range(out_type, &lo, &hi);
  const int32_t xlo = x_u16 ? 0 : -32768, xhi = x_u16 ? 65535 : 32767;
  p.x_zp = f == FILL_EXTREME ? (x_u16 ? 65535 : 32767) : range(seed, xlo, xhi);
  p.y_zp = range(seed, lo, hi);
  p.qmin = lo, p.qmax = hi;
  if (rnd(seed) % 4 == 0) { /* a fused clamp inside the type's range */
    p.qmin = range(seed, lo, p.y_zp);
    p.qmax = range(seed, p.y_zp, hi);
  }
  for (size_t i = 0; i < m * k; i++)
    p.w[i] = (int8_t)(f == FILL_EXTREME ? (i % 3 ? -128 : 127) : range(seed, -128, 127));
  for (size_t i = 0; i < k * n; i++)
    p.x[i] = (uint16_t)(f == FILL_EXTREME ? (x_u16 ? 0 : -32768) : range(seed, xlo, xhi));
  const double span = (double)(hi - lo);
  for (size_t i = 0; i < m; i++) {
    p.bias[i] = range(seed, -1000000, 1000000);
    /* outputs spread over the type's range: the sum's typical size is sqrt(K) * 2^15 * 2^7 / 2 */
    p.scale[i] = (float)(span / (sqrt((double)k) * 1.5e6) * (0.5 + (rnd(seed) % 1000) / 1000.0));
    if (f == FILL_EXTREME) p.scale[i] = (float)(span / ((double)k * 6e6)); /* |acc| up to K * 2^22 */
    if (f == FILL_TIES) p.scale[i] = i % 2 ? 0.5f : 0.25f;
  }
  if (f == FILL_TIES) { /* small sums so that acc * 0.5 or 0.25 lands in range, many on a half */
    for (size_t i = 0; i < m * k; i++) p.w[i] = (int8_t)range(seed, -3, 3);
    for (size_t i = 0; i < k * n; i++) p.x[i] = (uint16_t)(p.x_zp + range(seed, -40, 40));
    for (size_t i = 0; i < m; i++) p.bias[i] = range(seed, -50, 50);
  }
  char what[64];
  snprintf(what, sizeof what, "%s", f == FILL_RANDOM ? "random" : f == FILL_EXTREME ? "extreme" : "ties");
  const bool ok = run_check(cfg, &p, what);
  free(p.w), free(p.x), free(p.bias), free(p.scale);
  return ok;
}

static int test_config(const qi_qs16_gemm_config *cfg, bool *ok) {
  static const size_t ms[] = {1, 3, 4, 5, 9};
  static const size_t ns[] = {1, 3, 4, 7, 8, 9, 17};
  static const size_t ks[] = {1, 2, 3, 17, 255, 256, 257, 513};
  uint32_t seed = 12345;
  int cases = 0;
  for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
      for (size_t d = 0; d < sizeof ks / sizeof ks[0] && *ok; d++, cases++) {
        const int out_type = (int)((a + b + d) % 4);
        *ok = one(cfg, &seed, ms[a], ns[b], ks[d], FILL_RANDOM, (a + d) % 2 == 1, out_type, (b + d) % 3 == 0);
      }
  static const size_t big_k[] = {600, 4096, 20000};
  for (size_t d = 0; d < 3 && *ok; d++)
    for (int t = 0; t < 4 && *ok; t++, cases++) *ok = one(cfg, &seed, 5, 11, big_k[d], FILL_EXTREME, t % 2, t, t == 3);
  for (size_t d = 0; d < sizeof ks / sizeof ks[0] && *ok; d++)
    for (int t = 0; t < 4 && *ok; t++, cases++) *ok = one(cfg, &seed, 6, 13, ks[d], FILL_TIES, t % 2, t, false);
  return cases;
}

/* qi_qs16_im2col_packed against a plain im2col matrix packed by qi_qs16_gemm_pack_x, over several windows (strides,
 * dilations, pads on every side, 1x1) and pixel ranges that start and end inside output rows. */
static void test_im2col(void) {
  static const size_t geo[][10] = {
      /* in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left */
      {6, 7, 3, 2, 2, 2, 1, 2, 1, 1}, {5, 9, 3, 3, 1, 1, 1, 1, 1, 1}, {8, 8, 1, 1, 1, 1, 1, 1, 0, 0},
      {7, 6, 2, 3, 1, 3, 2, 1, 0, 2}, {4, 5, 3, 3, 1, 1, 1, 1, 2, 2}, {9, 4, 5, 1, 3, 1, 1, 1, 2, 0},
  };
  uint32_t seed = 7;
  for (size_t gi = 0; gi < sizeof geo / sizeof geo[0]; gi++) {
    const size_t *q = geo[gi];
    qi_window2d g = {.in_h = q[0], .in_w = q[1], .kernel_h = q[2], .kernel_w = q[3], .stride_h = q[4],
                     .stride_w = q[5], .dilation_h = q[6], .dilation_w = q[7], .pad_top = q[8], .pad_left = q[9]};
    g.pad_bottom = g.pad_top, g.pad_right = g.pad_left;
    g.out_h = (g.in_h + 2 * g.pad_top - (g.kernel_h - 1) * g.dilation_h - 1) / g.stride_h + 1;
    g.out_w = (g.in_w + 2 * g.pad_left - (g.kernel_w - 1) * g.dilation_w - 1) / g.stride_w + 1;
    const size_t ch = 3, taps = g.kernel_h * g.kernel_w, k = ch * taps, pix = g.out_h * g.out_w, nr = 8;
    uint16_t *in = malloc(ch * g.in_h * g.in_w * 2), *col = malloc(k * pix * 2);
    int16_t *want = malloc(qi_qs16_gemm_packed_x_elems(k, pix, nr) * 2),
            *got = malloc(qi_qs16_gemm_packed_x_elems(k, pix, nr) * 2);
    for (size_t i = 0; i < ch * g.in_h * g.in_w; i++) in[i] = (uint16_t)rnd(&seed);
    const uint16_t pad = 0x8123; /* the zero point's pattern (uint16), flipped by pack_x */
    for (size_t kk = 0; kk < k; kk++)
      for (size_t p = 0; p < pix; p++) {
        const long c = (long)(kk / taps), ky = (long)(kk % taps / g.kernel_w), kx = (long)(kk % g.kernel_w);
        const long iy = (long)(p / g.out_w * g.stride_h) + ky * (long)g.dilation_h - (long)g.pad_top;
        const long ix = (long)(p % g.out_w * g.stride_w) + kx * (long)g.dilation_w - (long)g.pad_left;
        col[kk * pix + p] = iy >= 0 && iy < (long)g.in_h && ix >= 0 && ix < (long)g.in_w
                                ? in[((size_t)c * g.in_h + (size_t)iy) * g.in_w + (size_t)ix] : pad;
      }
    for (size_t begin = 0; begin < pix; begin += 5) {
      const size_t end = begin + 13 < pix ? begin + 13 : pix, n = end - begin;
      memset(got, 0x5A, qi_qs16_gemm_packed_x_elems(k, pix, nr) * 2);
      qi_qs16_gemm_pack_x(k, n, nr, col + begin, pix, 1, 0x8000, want);
      qi_qs16_im2col_packed(&g, ch, in, 0x8000, (int16_t)(pad ^ 0x8000), begin, end, nr, got);
      CHECK_MSG(memcmp(want, got, qi_qs16_gemm_packed_x_elems(k, n, nr) * 2) == 0, "im2col window %zu, pixels [%zu, %zu)",
                gi, begin, end);
    }
    free(in), free(col), free(want), free(got);
  }
}

int main(void) {
  size_t count;
  const qi_qs16_gemm_config *const *list = qi_qs16_gemm_config_list(&count);
  CHECK(count >= 1 && list[0]->features == 0);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qs16_gemm_config *cfg = list[i];
    if (!kl_runnable(cfg->name, cfg->features) || !KL_FIRST(&seen, cfg->ukernel, cfg->name)) continue;
    bool ok = true;
    const int cases = test_config(cfg, &ok);
    CHECK_MSG(ok, "%s", cfg->name);
    printf("%s (%zux%zuc2): %d cases %s\n", cfg->name, cfg->mr, cfg->nr, cases, ok ? "ok" : "FAILED");
  }
  test_im2col();
  return TEST_SUMMARY();
}
