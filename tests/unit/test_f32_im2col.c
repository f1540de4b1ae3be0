/* Tester of the f32 im2col / col2im kernels (kernels/f32-im2col): every kernel of every config of the family's
 * list (qi_f32_im2col_config_list) this CPU can run (the others reported as skipped), against a naive walk of the
 * windows written here (window_tester.h): col[(c * taps + t)][p] = the input that output point p reads at tap t
 * of channel c, 0 in the padding; col2im adds each col element into that input. Random geometries (1-D and 2-D
 * for the 2-D kernels, 1-D to 4-D for the N-d ones; kernels 1..7, strides 1..3, dilations 1..3, begin and end
 * padding up to the kernel), 1..3 channels, the full row range and a part of it (im2col_tile also a random range
 * of output pixels in column blocks of random width, the gemm tiles' 8 and 16 or one block, col2im a range of
 * channels); rows, pixels, channels and block floats outside the ranges must be left as they were.
 *
 * Tolerances: im2col exact (copies and zeros). col2im adds k contributions to each initial value in whatever
 * order: within (k + 2) * 2^-24 * (|initial| + sum of |contributions|), the worst-case bound of any summation
 * order. */
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-im2col/f32-im2col.h"
#include "test_util.h"
#include "window_tester.h"

TEST_MAIN_GLOBALS;

#define SENTINEL 7777.0f
#define CASES 300

/* The kernel under test: one of the pointers is set. */
typedef struct im2col_kernel {
  const char *name;
  qi_f32_im2col_fn im2col;
  qi_f32_im2col_tile_fn tile;
  qi_f32_im2col_nd_fn nd;
  qi_f32_col2im_fn col2im;
  qi_f32_col2im_nd_fn col2im_nd;
} im2col_kernel;

static long long n_cases;

/* A geometry for the kernel: 1-D or 2-D for the 2-D kernels, 1-D to 4-D for the N-d ones. */
static qi_windownd pick_geometry(const im2col_kernel *k, uint32_t *seed) {
  const bool nd = k->nd || k->col2im_nd;
  const size_t dims = nd ? 1 + ft_next(seed) % 4 : 1 + ft_next(seed) % 2;
  return wt_random(seed, dims, dims <= 2 ? 24 : 6, false);
}

static void check_im2col(const im2col_kernel *k, const qi_windownd *g, size_t channels, uint32_t *seed, int *bad) {
  const size_t taps = qi_windownd_taps(g), pixels = qi_windownd_out_size(g), in_size = qi_windownd_in_size(g);
  const size_t rows = channels * taps;
  const size_t r0 = ft_next(seed) % 2 ? 0 : ft_next(seed) % rows, r1 = r0 + 1 + ft_next(seed) % (rows - r0);
  size_t p0 = 0, p1 = pixels;
  if (k->tile) p0 = ft_next(seed) % pixels, p1 = p0 + 1 + ft_next(seed) % (pixels - p0);
  const size_t width = p1 - p0;
  /* im2col_tile: column blocks of 1..20 pixels (8 and 16 the AVX2 and AVX-512 gemm tiles), or one block */
  const size_t blocks[] = {1 + ft_next(seed) % 20, 8, 16, width, width + 1 + ft_next(seed) % 5};
  const size_t block = k->tile ? blocks[ft_next(seed) % 5] : width, bw = block;
  const size_t col_floats = (width + bw - 1) / bw * bw * rows;
  float *x = malloc(channels * in_size * sizeof(float)), *col = malloc(col_floats * sizeof(float));
  bool *mapped = calloc(col_floats, sizeof(bool));
  for (size_t i = 0; i < channels * in_size; i++) x[i] = ft_uniform(seed, -1, 1);
  for (size_t i = 0; i < col_floats; i++) col[i] = SENTINEL;
  const qi_window2d g2 = k->nd ? (qi_window2d){0} : wt_2d(g);
  if (k->im2col) k->im2col(&g2, r0, r1, x, col);
  if (k->tile) k->tile(&g2, r0, r1, p0, p1, block, rows, x, col);
  if (k->nd) k->nd(g, r0, r1, x, col);
  for (size_t row = 0; row < rows; row++)
    for (size_t p = p0; p < p1; p++) {
      size_t off;
      bool padded;
      const bool inside = wt_tap(g, p, row % taps, &off, &padded);
      const float want = row < r0 || row >= r1 ? SENTINEL : inside ? x[row / taps * in_size + off] : 0.0f;
      const size_t q = p - p0, at = q / bw * rows * bw + row * bw + q % bw;
      const float got = col[at];
      mapped[at] = true;
      if (got != want) {
        char buf[256];
        ft_mismatch(bad, k->name, wt_describe(g, buf, sizeof buf), col_floats, at, got, want, 0);
      }
    }
  for (size_t i = 0; i < col_floats; i++) /* the last block's floats past p1 */
    if (!mapped[i] && col[i] != SENTINEL) {
      char buf[256];
      ft_mismatch(bad, k->name, wt_describe(g, buf, sizeof buf), col_floats, i, col[i], SENTINEL, 0);
    }
  free(mapped);
  free(x), free(col);
}

static void check_col2im(const im2col_kernel *k, const qi_windownd *g, size_t channels, uint32_t *seed, int *bad) {
  const size_t taps = qi_windownd_taps(g), pixels = qi_windownd_out_size(g), in_size = qi_windownd_in_size(g);
  const size_t c0 = ft_next(seed) % channels, c1 = c0 + 1 + ft_next(seed) % (channels - c0);
  float *col = malloc(channels * taps * pixels * sizeof(float)), *y = malloc(channels * in_size * sizeof(float));
  double *want = malloc(channels * in_size * sizeof(double)), *mag = malloc(channels * in_size * sizeof(double));
  size_t *count = calloc(channels * in_size, sizeof(size_t));
  for (size_t i = 0; i < channels * taps * pixels; i++) col[i] = ft_uniform(seed, -1, 1);
  for (size_t i = 0; i < channels * in_size; i++) y[i] = ft_uniform(seed, -1, 1), want[i] = y[i], mag[i] = fabsf(y[i]);
  for (size_t c = c0; c < c1; c++)
    for (size_t t = 0; t < taps; t++)
      for (size_t p = 0; p < pixels; p++) {
        size_t off;
        bool padded;
        if (!wt_tap(g, p, t, &off, &padded)) continue;
        const double v = col[(c * taps + t) * pixels + p];
        want[c * in_size + off] += v, mag[c * in_size + off] += fabs(v), count[c * in_size + off]++;
      }
  if (k->col2im) {
    const qi_window2d g2 = wt_2d(g);
    k->col2im(&g2, c0, c1, col, y);
  } else {
    k->col2im_nd(g, c0, c1, col, y);
  }
  for (size_t i = 0; i < channels * in_size; i++) {
    const double tol = ((double)count[i] + 2) * FT_U * mag[i];
    if (!ft_close(y[i], want[i], count[i] ? tol : 0)) {
      char buf[256];
      ft_mismatch(bad, k->name, wt_describe(g, buf, sizeof buf), channels * in_size, i, y[i], want[i], tol);
    }
  }
  free(col), free(y), free(want), free(mag), free(count);
}

static void test_kernel(kl_seen *seen, const im2col_kernel *k, uintptr_t fn) {
  if (!kl_first(seen, fn, k->name)) return;
  uint32_t seed = ft_seed(k->name);
  const long long before = n_cases;
  int bad = 0;
  for (int i = 0; i < CASES; i++, n_cases++) {
    const qi_windownd g = pick_geometry(k, &seed);
    const size_t channels = 1 + ft_next(&seed) % 3;
    if (k->col2im || k->col2im_nd)
      check_col2im(k, &g, channels, &seed, &bad);
    else
      check_im2col(k, &g, channels, &seed, &bad);
  }
  ft_report(k->name, n_cases - before, bad);
}

int main(void) {
  size_t count;
  const qi_f32_im2col_config *const *list = qi_f32_im2col_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_im2col_config *cfg = list[i];
    const char *names[] = {cfg->name_im2col, cfg->name_im2col_tile, cfg->name_col2im, cfg->name_im2col_nd,
                           cfg->name_col2im_nd};
    if (!kl_runnable_all(names, 5, cfg->features)) continue;
    test_kernel(&seen, &(im2col_kernel){.name = cfg->name_im2col, .im2col = cfg->im2col}, (uintptr_t)cfg->im2col);
    test_kernel(&seen, &(im2col_kernel){.name = cfg->name_im2col_tile, .tile = cfg->im2col_tile},
                (uintptr_t)cfg->im2col_tile);
    test_kernel(&seen, &(im2col_kernel){.name = cfg->name_im2col_nd, .nd = cfg->im2col_nd}, (uintptr_t)cfg->im2col_nd);
    test_kernel(&seen, &(im2col_kernel){.name = cfg->name_col2im, .col2im = cfg->col2im}, (uintptr_t)cfg->col2im);
    test_kernel(&seen, &(im2col_kernel){.name = cfg->name_col2im_nd, .col2im_nd = cfg->col2im_nd},
                (uintptr_t)cfg->col2im_nd);
  }
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
