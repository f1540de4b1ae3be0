/* Tester of the f32 depthwise ukernels (kernels/f32-dwconv): both kernels of every entry of the family's list
 * (qi_f32_dwconv_config_list) this CPU can run, the others reported as skipped, against a double-precision sum
 * over the in-bounds taps (tolerance: 1e-5 of the sum of |w * x| terms), clamped: kernel sizes 1x1..5x5 and
 * non-square ones (3x3 only for ukernel_3x3, 5x5 only for ukernel_5x5), strides 1-3, dilations 1-2, padding up
 * to the kernel, planes smaller than the window, output widths below, at and above one, two and three vectors
 * of 8 and 16 floats (the SIMD kernels' tails), no write past the plane. Then planes tall and wide enough that
 * the SIMD kernels stage their rows in several bands, and one too wide for their stack buffer (the scalar
 * fallback).
 *
 * The AVX-512 kernels' logic also runs here: dwconv-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), its 3x3, 5x5 and any kernels
 * tested like listed ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/f32-dwconv/f32-dwconv.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static float frand(uint32_t *s) { return (float)(rnd(s) % 2001) / 1000.0f - 1.0f; }

static long long n_outputs;

/* ---- dwconv-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#include "kernels/f32-dwconv/dwconv-simd.h"
#define EMU16_DWCONV(fn, kh, kw) \
  static QI_F32_DWCONV_UKERNEL_DECL(fn) { qi_f32_dwconv_simd(g, input, weights, bias, output, params, kh, kw); }
EMU16_DWCONV(test_f32_dwconv_minmax_ukernel_3x3__emu16, 3, 3)
EMU16_DWCONV(test_f32_dwconv_minmax_ukernel_5x5__emu16, 5, 5)
EMU16_DWCONV(test_f32_dwconv_minmax_ukernel_any__emu16, g->kernel_h, g->kernel_w)

/* One plane; false when the geometry has no output (nothing run). */
static bool run_case(qi_f32_dwconv_minmax_ukernel_fn kernel, const char *name, size_t in_h, size_t in_w, size_t kh,
                     size_t kw, size_t s, size_t d, size_t pad, bool clamp, uint32_t seed) {
  const long long ph = (long long)(in_h + 2 * pad) - (long long)((kh - 1) * d + 1);
  const long long pw = (long long)(in_w + 2 * pad) - (long long)((kw - 1) * d + 1);
  if (ph < 0 || pw < 0) return false;
  const size_t out_h = (size_t)ph / s + 1, out_w = (size_t)pw / s + 1;
  const qi_window2d g = {in_h, in_w, out_h, out_w, kh, kw, s, s, d, d, pad, pad, pad, pad};
  float *x = malloc(in_h * in_w * sizeof(float)), *y = malloc((out_h * out_w + 8) * sizeof(float)), w[25];
  for (size_t i = 0; i < in_h * in_w; i++) x[i] = frand(&seed);
  for (size_t i = 0; i < kh * kw; i++) w[i] = frand(&seed);
  const float bias = frand(&seed);
  const qi_f32_minmax_params p = {clamp ? -0.5f : -INFINITY, clamp ? 0.7f : INFINITY};
  for (size_t i = 0; i < out_h * out_w + 8; i++) y[i] = 12345.0f;
  kernel(&g, x, w, bias, y, &p);
  bool ok = true;
  for (size_t oy = 0; oy < out_h && ok; oy++)
    for (size_t ox = 0; ox < out_w && ok; ox++) {
      double acc = bias, mag = fabs((double)bias);
      for (size_t ky = 0; ky < kh; ky++)
        for (size_t kx = 0; kx < kw; kx++) {
          const long long iy = (long long)(oy * s + ky * d) - (long long)pad;
          const long long ix = (long long)(ox * s + kx * d) - (long long)pad;
          if (iy < 0 || ix < 0 || iy >= (long long)in_h || ix >= (long long)in_w) continue;
          const double t = (double)w[ky * kw + kx] * x[iy * (long long)in_w + ix];
          acc += t, mag += fabs(t);
        }
      const double want = fmin(fmax(acc, (double)p.min), (double)p.max), got = y[oy * out_w + ox];
      if (!(fabs(got - want) <= 1e-5 * (mag + 1e-30))) {
        fprintf(stderr, "%s: in %zux%zu kernel %zux%zu stride %zu dil %zu pad %zu: y[%zu][%zu] = %.9g, want %.9g\n",
                name, in_h, in_w, kh, kw, s, d, pad, oy, ox, got, want);
        ok = false;
      }
    }
  for (size_t i = out_h * out_w; i < out_h * out_w + 8; i++) ok = ok && y[i] == 12345.0f;
  CHECK_MSG(ok, "%s", name);
  n_outputs += (long long)(out_h * out_w);
  free(x), free(y);
  return true;
}

/* window: 3 or 5 for a kernel of that square size only, 0 for every size. */
static void test_kernel(kl_seen *seen, qi_f32_dwconv_minmax_ukernel_fn kernel, const char *name, size_t window) {
  if (!KL_FIRST(seen, kernel, name)) return;
  const size_t ks[][2] = {{3, 3}, {1, 1}, {5, 5}, {1, 3}, {3, 1}, {2, 3}, {4, 4}};
  const size_t in_ws[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 23, 25, 28, 31,
                          32, 33, 35, 40, 47, 48, 49, 52};
  uint32_t seed = 31;
  const long long before = n_outputs;
  const int failed = qi_test_failed;
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
    if (window && (ks[ki][0] != window || ks[ki][1] != window)) continue;
    for (size_t s = 1; s <= 3; s++)
      for (size_t d = 1; d <= 2; d++)
        for (size_t pad = 0; pad <= ks[ki][0]; pad++)
          for (size_t in_h = 1; in_h <= 9; in_h += 2)
            for (size_t wi = 0; wi < sizeof in_ws / sizeof in_ws[0]; wi++) {
              const size_t in_w = in_ws[wi];
              if (in_w > 33 && (in_h > 3 || d > 1)) continue; /* the wide tails once per stride and pad */
              run_case(kernel, name, in_h, in_w, ks[ki][0], ks[ki][1], s, d, pad, (in_w + pad) % 3 == 0, rnd(&seed));
            }
  }
  /* several bands of staged rows (MobileNetV2's 112x112 and a wider plane), and a row wider than the stack */
  const size_t big[][3] = {{112, 112, 1}, {112, 112, 2}, {60, 301, 1}, {61, 300, 2}, {4, 9000, 1}};
  for (size_t b = 0; b < sizeof big / sizeof big[0]; b++) {
    const size_t k = window ? window : 3 + 2 * (b % 2);
    run_case(kernel, name, big[b][0], big[b][1], k, k, big[b][2], 1, k / 2, b % 2 == 0, rnd(&seed));
  }
  printf("%s: %lld outputs %s\n", name, n_outputs - before, qi_test_failed == failed ? "ok" : "FAILED");
}

int main(void) {
  size_t count;
  const qi_f32_dwconv_config *const *list = qi_f32_dwconv_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_dwconv_config *cfg = list[i];
    const char *names[] = {cfg->name_3x3, cfg->name_5x5, cfg->name_any};
    if (!kl_runnable_all(names, 3, cfg->features)) continue;
    test_kernel(&seen, cfg->ukernel_any, cfg->name_any, 0); /* first: an entry may reuse it for a fixed size */
    test_kernel(&seen, cfg->ukernel_3x3, cfg->name_3x3, 3);
    test_kernel(&seen, cfg->ukernel_5x5, cfg->name_5x5, 5);
  }
  test_kernel(&seen, QI_KERNEL(test_f32_dwconv_minmax_ukernel_any__emu16), 0);
  test_kernel(&seen, QI_KERNEL(test_f32_dwconv_minmax_ukernel_3x3__emu16), 3);
  test_kernel(&seen, QI_KERNEL(test_f32_dwconv_minmax_ukernel_5x5__emu16), 5);
  return TEST_SUMMARY();
}
