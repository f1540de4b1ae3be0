/* The packers of the quantized gemm family (kernels/qu8-gemm/pack.c) against the documented layouts, byte for
 * byte, for k-blocks kr of 1, 2, 4, 8 and 16 (the contract's kr, not only the current kernels' 4):
 *   - qi_qu8_gemm_pack_x and every config's pack_x (the AVX2 one: 16-column steps and their tails) on a strided
 *     source and its transpose, k and column padding;
 *   - qi_qu8_gemm_pack_w: weights (int8 and int16), biases with the zero point folded in (against an int64 sum,
 *     zero points of both activation domains), scales, rows past M;
 *   - qi_qu8_gemm_pack_w_rows (kernels/qu8-gemm/pack-rows.c): the same layout from strided rows of uint8 / int8
 *     bytes (flip 0x80 / 0), one scale, bias -x_zp * row sum;
 *   - qi_qu8_im2col_packed against a naive column matrix over random geometries (staged and run-by-run rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-gemm/qu8-gemm.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static int rnd_range(uint32_t *s, int lo, int hi) { return lo + (int)(rnd(s) % (uint32_t)(hi - lo + 1)); }

/* Byte (k, column j) of a packed block layout. */
static uint8_t packed_at(const uint8_t *packed, size_t k, size_t nr, size_t kr, size_t kk, size_t j) {
  const size_t kp = qi_qu8_round_up(k, kr);
  return packed[(j / nr) * nr * kp + (kk / kr) * nr * kr + (j % nr) * kr + kk % kr];
}

/* One packer (qi_qu8_gemm_pack_x or a config's SIMD pack_x) against the layout, byte for byte, over kr 1..16,
 * nr 1..16 and k, n below, equal to and above them (n up to 69: the 16-column SIMD steps and their tails), from a
 * strided source and its transpose. Pad columns must be written (the buffer starts as 0x5a). */
static int pack_x_matches(const char *name, qi_qu8_gemm_pack_x_fn pack_x, uint32_t seed) {
  int ok = 1;
  for (size_t kr = 1; kr <= QI_QU8_GEMM_MAX_KR; kr *= 2)
    for (size_t nr = 1; nr <= 16; nr *= 2)
      for (size_t k = 1; k <= 2 * kr + 11; k += 3)
        for (size_t n = 1; n <= 69; n += (n < 21 ? 4 : 16)) {
          const size_t k_stride = n + 3, n_stride = 1; /* a strided source, then its transpose */
          const uint8_t flip = (k + n) % 2 ? 0x80 : 0;
          uint8_t *x = malloc(k * k_stride);
          for (size_t i = 0; i < k * k_stride; i++) x[i] = (uint8_t)rnd(&seed);
          const size_t bytes = qi_qu8_gemm_packed_x_bytes(k, n, nr, kr);
          uint8_t *p = malloc(bytes), *q = malloc(bytes);
          memset(p, 0x5a, bytes), memset(q, 0x5a, bytes);
          pack_x(k, n, nr, kr, x, k_stride, n_stride, flip, p);
          /* the same matrix transposed in memory: x^T[j][i] */
          uint8_t *xt = malloc(n * k);
          for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++) xt[j * k + i] = x[i * k_stride + j];
          pack_x(k, n, nr, kr, xt, 1, k, flip, q);
          int case_ok = 1;
          for (size_t j = 0; j < qi_qu8_round_up(n, nr); j++)
            for (size_t i = 0; i < qi_qu8_round_up(k, kr); i++) {
              const uint8_t got = packed_at(p, k, nr, kr, i, j);
              if (i < k && j < n && (got != (x[i * k_stride + j] ^ flip) || packed_at(q, k, nr, kr, i, j) != got))
                case_ok = 0;
              if (i >= k && got != 0) case_ok = 0;                   /* k padding is 0 */
              if (j >= n && i < k && got == 0x5a) case_ok = 0;       /* pad columns are written */
            }
          if (!case_ok) fprintf(stderr, "%s: k=%zu n=%zu nr=%zu kr=%zu flip %d mismatch\n", name, k, n, nr, kr, flip);
          ok &= case_ok;
          free(x), free(p), free(q), free(xt);
        }
  return ok;
}

/* The portable packer, then every distinct pack_x of the family's configs that this CPU can run. */
static void test_pack_x(void) {
  CHECK(pack_x_matches("qi_qu8_gemm_pack_x", qi_qu8_gemm_pack_x, 7));
  size_t count;
  const qi_qu8_gemm_config *const *list = qi_qu8_gemm_config_list(&count);
  kl_seen seen = {0};
  KL_FIRST(&seen, qi_qu8_gemm_pack_x, "qi_qu8_gemm_pack_x");
  for (size_t i = 0; i < count; i++) {
    char what[160];
    snprintf(what, sizeof what, "pack_x of %s", list[i]->name);
    if (!kl_runnable(what, list[i]->features) || !KL_FIRST(&seen, list[i]->pack_x, what)) continue;
    CHECK(pack_x_matches(what, list[i]->pack_x, 7 + (uint32_t)i));
  }
}

/* Whether p holds cfg's panels of the m x k values want[i * k + j], with bias[i] (NULL: 0) - zp * sum_j want[i][j]
 * and scale[i], zeros past m and k. */
static int panels_match(const qi_qu8_gemm_config *cfg, const uint8_t *p, size_t m, size_t k, const int *want,
                        const int32_t *bias, const float *scale, int32_t zp) {
  const size_t mr = cfg->mr, kr = cfg->kr, wb = cfg->w_bytes;
  const size_t panel = qi_qu8_gemm_panel_stride(cfg, k), kp = qi_qu8_round_up(k, kr);
  int ok = panel == qi_qu8_gemm_panel_bytes(k, mr, kr, wb);
  for (size_t i = 0; i < qi_qu8_round_up(m, mr); i++) {
    const uint8_t *pp = p + i / mr * panel;
    int32_t pb;
    float ps;
    memcpy(&pb, pp + (i % mr) * 4, 4);
    memcpy(&ps, pp + (mr + i % mr) * 4, 4);
    int64_t sum = 0;
    for (size_t j = 0; j < kp; j++) {
      const size_t at = (j / kr) * mr * kr + (i % mr) * kr + j % kr;
      int16_t got16 = 0;
      if (wb == 2) memcpy(&got16, pp + 8 * mr + 2 * at, 2);
      const int got = wb == 2 ? got16 : (int8_t)pp[8 * mr + at];
      const int w = (i < m && j < k) ? want[i * k + j] : 0;
      if (got != w) ok = 0;
      sum += w;
    }
    const int32_t want_b = i < m ? (int32_t)((bias ? bias[i] : 0) - (int64_t)zp * sum) : 0;
    if (pb != want_b || ps != (i < m ? scale[i] : 0.0f)) ok = 0;
  }
  return ok;
}

static void test_pack_w(void) {
  uint32_t seed = 9;
  int ok = 1;
  for (size_t v = 0; v < 3 * 2 * 3 * 6 * 4; v++) {
    const size_t kr = (size_t[]){4, 8, 1}[v / 144], wb = 1 + v / 72 % 2, mr = 1 + 3 * (v / 24 % 3);
    const size_t m = 1 + 2 * (v / 4 % 6), k = 1 + 3 * (v % 4);
    int8_t *w = malloc(m * k);
    int *want = malloc(m * k * sizeof(int));
    int32_t *b = malloc(m * sizeof(int32_t));
    float *s = malloc(m * sizeof(float));
    for (size_t i = 0; i < m * k; i++) w[i] = (int8_t)rnd(&seed);
    for (size_t i = 0; i < m; i++) b[i] = (int32_t)rnd(&seed) - (1 << 23), s[i] = (float)(i + 1) * 0.25f;
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < k; j++) want[i * k + j] = w[j * m + i];
    const int32_t zp = (int32_t)(rnd(&seed) % 384) - 128; /* either domain: -128..255 */
    const qi_qu8_gemm_config cfg = {.mr = mr, .kr = kr, .w_bytes = wb, .packed_w_size = qi_qu8_gemm_packed_w_size};
    uint8_t *p = malloc(qi_qu8_gemm_packed_w_size(&cfg, m, k));
    qi_qu8_gemm_pack_w(&cfg, m, k, w, 1, m, b, s, zp, p); /* source read transposed: W[i][j] = w[j * m + i] */
    if (!panels_match(&cfg, p, m, k, want, b, s, zp)) {
      fprintf(stderr, "pack_w: m=%zu k=%zu mr=%zu kr=%zu w_bytes %zu mismatch\n", m, k, mr, kr, wb);
      ok = 0;
    }
    free(w), free(want), free(b), free(s), free(p);
  }
  CHECK(ok);
}

/* qi_qu8_gemm_pack_w_rows: rows of bytes read through the flip, one scale, bias -x_zp * row sum; same layout. */
static void test_pack_w_rows(void) {
  uint32_t seed = 11;
  int ok = 1;
  for (size_t v = 0; v < 3 * 2 * 3 * 6 * 4; v++) {
    const size_t kr = (size_t[]){4, 8, 1}[v / 144], wb = 1 + v / 72 % 2, mr = 1 + 3 * (v / 24 % 3);
    const size_t m = 1 + 2 * (v / 4 % 6), k = 1 + 5 * (v % 4), stride = k + v % 3;
    const uint8_t flip = v % 2 ? 0x80 : 0;
    uint8_t *w = malloc(m * stride);
    int *want = malloc(m * k * sizeof(int));
    float *s = malloc(m * sizeof(float));
    for (size_t i = 0; i < m * stride; i++) w[i] = (uint8_t)rnd(&seed);
    /* the byte as a value of its type, minus 128 for uint8 bytes (flip 0x80) */
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < k; j++) want[i * k + j] = flip ? (int)w[i * stride + j] - 128 : (int8_t)w[i * stride + j];
    const int32_t zp = (int32_t)(rnd(&seed) % 384) - 128;
    const float scale = 0.125f + (float)v;
    for (size_t i = 0; i < m; i++) s[i] = scale;
    const qi_qu8_gemm_config cfg = {.mr = mr, .kr = kr, .w_bytes = wb, .packed_w_size = qi_qu8_gemm_packed_w_size};
    const size_t bytes = qi_qu8_gemm_packed_w_size(&cfg, m, k);
    uint8_t *p = malloc(bytes);
    memset(p, 0x5a, bytes); /* padding must be written, not left */
    qi_qu8_gemm_pack_w_rows(&cfg, m, k, w, stride, flip, scale, zp, p);
    if (!panels_match(&cfg, p, m, k, want, NULL, s, zp)) {
      fprintf(stderr, "pack_w_rows: m=%zu k=%zu mr=%zu kr=%zu w_bytes %zu flip %d mismatch\n", m, k, mr, kr, wb,
              flip);
      ok = 0;
    }
    free(w), free(want), free(s), free(p);
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
    /* every (nr, kr) pair: the NEON tiles' nr 8 with kr 1 and 8 among them (kr > 4: rows built run by run) */
    const size_t kr = (size_t[]){4, 4, 8, 1, 4, 16}[it / 4 % 6];
    uint8_t *x = malloc(ch * g.in_h * g.in_w);
    for (size_t i = 0; i < ch * g.in_h * g.in_w; i++) x[i] = (uint8_t)rnd(&seed);
    const size_t p0 = (size_t)rnd_range(&seed, 0, (int)hw - 1), p1 = (size_t)rnd_range(&seed, (int)p0 + 1, (int)hw);
    const uint8_t flip = it % 2 ? 0x80 : 0, pad = (uint8_t)rnd(&seed);
    uint8_t *p = malloc(qi_qu8_gemm_packed_x_bytes(k, p1 - p0, nr, kr));
    qi_qu8_im2col_packed(&g, ch, x, flip, pad, p0, p1, nr, kr, p);
    for (size_t row = 0; row < qi_qu8_round_up(k, kr) && ok; row++)
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
        if (packed_at(p, k, nr, kr, row, j) != want) {
          fprintf(stderr,
                  "im2col_packed: %zux%zu k%zux%zu s%zu,%zu d%zu,%zu pads %zu,%zu ch %zu pixels [%zu, %zu) nr %zu "
                  "kr %zu: row %zu col %zu = %u, want %u\n",
                  g.in_h, g.in_w, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w,
                  g.pad_top, g.pad_left, ch, p0, p1, nr, kr, row, j, packed_at(p, k, nr, kr, row, j), want);
          ok = 0;
          break;
        }
      }
    free(x), free(p);
  }
  printf("im2col_packed: %d geometries\n", cases);
  CHECK(ok);
}

int main(void) {
  test_pack_w();
  test_pack_w_rows();
  test_pack_x();
  test_im2col();
  return TEST_SUMMARY();
}
