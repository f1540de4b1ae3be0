/* Tester of the f32 pooling kernels (kernels/f32-pool): every kernel of every config of the family's list
 * (qi_f32_pool_config_list) this CPU can run (the others reported as skipped), against a naive walk of the
 * windows written here (window_tester.h), from the definitions in kernels/f32-pool/f32-pool.h: max over the
 * in-bounds taps (-FLT_MAX without any), with MaxPool's indices (the first largest tap in row-major window order,
 * offset in the plane plus index_base, row- or column-major, -1 without any tap); average over the in-bounds taps
 * or, with count_include_pad, over the taps inside the padded extent (ceil_mode overhangs not counted), 0 without
 * any; Lp (p 1, 2, 3) over the in-bounds taps; global average and max over rows of every length of f32_tester.h.
 * Random geometries with floor and ceil_mode outputs (1-D and 2-D for the 2-D kernels, 1-D to 4-D for the N-d
 * ones; rows up to 300 and 12000 wide and planes up to 130x130 among them, for the SIMD kernels' tails, bands
 * and scalar fallback), inputs drawn from 5 values half the time so that maxima tie, no write past the output.
 *
 * Tolerances: max pooling exact, values and indices. Averages of k taps within (k + 4) * 2^-24 * mean(|x|) (the
 * worst-case bound of any summation order, the division or the multiplication by a rounded 1 / k), and the 2-D
 * and global averages also bit for bit the float computation f32-pool.h prescribes for every path (so that an
 * INT8 model with a float average pooling gives the same bytes on every ISA path); Lp within
 * (k + 16) * 2^-24 relative (positive terms: the sum's bound, a few ulp for powf and the root).
 *
 * The AVX-512 kernels' logic also runs here: pool-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), its 2-D max and average and
 * global average and max kernels tested like listed ones. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-pool/f32-pool.h"
#include "test_util.h"
#include "window_tester.h"

TEST_MAIN_GLOBALS;

#define CASES 400
#define GUARD 8

typedef enum pool_kind { MAX_2D, AVG_2D, MAX_ND, AVG_ND, LP_ND, POOL_KINDS } pool_kind;

/* The kernel under test (the pointer of its kind). */
typedef struct pool_kernel {
  const char *name;
  pool_kind kind;
  qi_f32_maxpool2d_ukernel_fn max2d;
  qi_f32_avgpool2d_ukernel_fn avg2d;
  qi_f32_maxpool_nd_ukernel_fn max_nd;
  qi_f32_avgpool_nd_ukernel_fn avg_nd;
  qi_f32_lppool_nd_ukernel_fn lp_nd;
} pool_kernel;

static long long n_cases;

/* ---- pool-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#include "kernels/f32-pool/pool-simd.h"
static QI_F32_MAXPOOL2D_UKERNEL_DECL(test_f32_maxpool2d_chw_ukernel__emu16) { qi_f32_maxpool2d_simd(g, input, output); }
static QI_F32_AVGPOOL2D_UKERNEL_DECL(test_f32_avgpool2d_chw_ukernel__emu16) {
  qi_f32_avgpool2d_simd(g, count_include_pad, input, output);
}
static QI_F32_GPOOL_UKERNEL_DECL(test_f32_gavgpool_ukernel__emu16) {
  qi_f32_gavgpool_simd(rows, length, input, output);
}
static QI_F32_GPOOL_UKERNEL_DECL(test_f32_gmaxpool_ukernel__emu16) {
  qi_f32_gmaxpool_simd(rows, length, input, output);
}

/* The oracle of one output point: max and its index (-1: none), sum, sum of |x|, taps in bounds and inside the
 * padded extent, sum of |x|^p. */
typedef struct window_stats {
  float max, float_sum; /* float_sum: the in-bounds taps summed in float, in row-major window order from 0 */
  long long arg;
  double sum, abs_sum, lp_sum;
  size_t taps, padded_taps;
} window_stats;

static window_stats window(const qi_windownd *g, size_t out, const float *x, double p) {
  window_stats w = {-FLT_MAX, 0.0f, -1, 0, 0, 0, 0, 0};
  const size_t taps = qi_windownd_taps(g);
  for (size_t t = 0; t < taps; t++) {
    size_t off;
    bool padded;
    const bool inside = wt_tap(g, out, t, &off, &padded);
    w.padded_taps += padded;
    if (!inside) continue;
    if (w.arg < 0 || x[off] > w.max) w.max = x[off], w.arg = (long long)off; /* ties keep the first */
    w.sum += x[off], w.abs_sum += fabs(x[off]), w.lp_sum += pow(fabs(x[off]), p), w.taps++;
    w.float_sum += x[off];
  }
  return w;
}

static void check_case(const pool_kernel *k, const qi_windownd *g, uint32_t *seed, int *bad) {
  const size_t in_size = qi_windownd_in_size(g), out_size = qi_windownd_out_size(g);
  float *x = malloc(in_size * sizeof(float)), *y = malloc((out_size + GUARD) * sizeof(float));
  int64_t *idx = malloc((out_size + GUARD) * sizeof(int64_t));
  const bool ties = ft_next(seed) % 2, include_pad = ft_next(seed) % 2, column_major = ft_next(seed) % 2;
  const bool with_indices = ft_next(seed) % 4 != 0;
  const int64_t index_base = (int64_t)(ft_next(seed) % 1000);
  const double p = 1 + ft_next(seed) % 3;
  for (size_t i = 0; i < in_size; i++) x[i] = ties ? (float)(ft_next(seed) % 5) - 2 : ft_uniform(seed, -4, 4);
  for (size_t i = 0; i < out_size + GUARD; i++) y[i] = FT_GUARD_VALUE, idx[i] = -7;
  const qi_window2d g2 = k->kind == MAX_2D || k->kind == AVG_2D ? wt_2d(g) : (qi_window2d){0};
  switch (k->kind) {
    case MAX_2D: k->max2d(&g2, x, y); break;
    case AVG_2D: k->avg2d(&g2, include_pad, x, y); break;
    case MAX_ND: k->max_nd(g, x, y, with_indices ? idx : NULL, index_base, column_major); break;
    case AVG_ND: k->avg_nd(g, include_pad, x, y); break;
    default: k->lp_nd(g, (float)p, x, y);
  }
  char buf[256];
  for (size_t o = 0; o < out_size; o++) {
    const window_stats w = window(g, o, x, p);
    double want = w.max, tol = 0;
    if (k->kind == AVG_2D || k->kind == AVG_ND) {
      const double count = (double)(include_pad ? w.padded_taps : w.taps);
      want = 0; /* a window without an in-bounds tap */
      if (w.taps) want = w.sum / count, tol = ((double)w.taps + 4) * FT_U * w.abs_sum / count;
      /* and the 2-D kernels exactly that float sum divided by the count, the same bits on every path */
      const float exact = w.taps ? w.float_sum / (float)count : 0.0f;
      if (k->kind == AVG_2D && y[o] != exact) ft_mismatch(bad, k->name, "2-D average bits", out_size, o, y[o], exact, 0);
    } else if (k->kind == LP_ND) {
      want = pow(w.lp_sum, 1 / p), tol = ((double)w.taps + 16) * FT_U * want;
    }
    if (!ft_close(y[o], want, tol))
      ft_mismatch(bad, k->name, wt_describe(g, buf, sizeof buf), out_size, o, y[o], want, tol);
    if (k->kind == MAX_ND && with_indices) {
      const int64_t want_idx =
          w.arg < 0 ? -1 : index_base + (int64_t)(column_major ? wt_column_major(g, (size_t)w.arg) : (size_t)w.arg);
      if (idx[o] != want_idx) ft_mismatch(bad, k->name, "index", out_size, o, (float)idx[o], (double)want_idx, 0);
    }
  }
  for (size_t i = out_size; i < out_size + GUARD; i++)
    if (y[i] != FT_GUARD_VALUE || idx[i] != -7) ft_outside(bad, k->name, wt_describe(g, buf, sizeof buf), out_size);
  free(x), free(y), free(idx);
}

static void test_windows(kl_seen *seen, const pool_kernel *k, uintptr_t fn) {
  if (!kl_first(seen, fn, k->name)) return;
  uint32_t seed = ft_seed(k->name);
  const long long before = n_cases;
  const bool nd = k->kind == MAX_ND || k->kind == AVG_ND || k->kind == LP_ND;
  int bad = 0;
  for (int i = 0; i < CASES; i++, n_cases++) {
    const size_t dims = nd ? 1 + ft_next(&seed) % 4 : 1 + ft_next(&seed) % 2;
    /* extents up to 24 (up to 6 above 2-D); every 8th 1-D / 2-D case larger, for rows of several vectors of 8
     * and 16 floats and planes the SIMD kernels stage in several bands, and every 50th 1-D case up to 12000
     * wide, beyond their stack buffer (the scalar fallback) */
    const size_t max_in = dims > 2 ? 6 : i % 50 == 49 && dims == 1 ? 12000 : i % 8 == 7 ? (dims == 1 ? 300 : 130) : 24;
    const qi_windownd g = wt_random(&seed, dims, max_in, i % 2);
    check_case(k, &g, &seed, &bad);
  }
  ft_report(k->name, n_cases - before, bad);
}

/* The mean in the order f32-pool.h prescribes for every path: element i into float partial sum i % 16, the sums
 * added pairwise 8, 4, 2 and 1 apart, times 1 / length rounded. */
static float ordered_mean(const float *x, size_t length) {
  float s[16] = {0};
  for (size_t i = 0; i < length; i++) s[i % 16] = s[i % 16] + x[i];
  for (size_t half = 8; half >= 1; half /= 2)
    for (size_t l = 0; l < half; l++) s[l] = s[l] + s[l + half];
  return s[0] * (1.0f / (float)length);
}

/* Global pooling: rows of every length; average within (length + 4) u mean(|x|) and bit for bit the mean in the
 * order of f32-pool.h, max exact. */
static void test_global(kl_seen *seen, qi_f32_gpool_ukernel_fn fn, const char *name, bool is_max) {
  if (!KL_FIRST(seen, fn, name)) return;
  uint32_t seed = ft_seed(name);
  const long long before = n_cases;
  const size_t row_counts[] = {1, 3, 7};
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ri++, n_cases++) {
      const size_t length = ft_sizes[si], rows = row_counts[ri];
      if (length == 0) continue; /* rows hold at least one element */
      ft_buf x = ft_alloc(rows * length), y = ft_alloc(rows);
      for (size_t i = 0; i < rows * length; i++) x.p[i] = ft_uniform(&seed, -4, 4);
      fn(rows, length, x.p, y.p);
      for (size_t r = 0; r < rows; r++) {
        double sum = 0, abs_sum = 0, max = -INFINITY;
        for (size_t i = 0; i < length; i++) {
          const double v = x.p[r * length + i];
          sum += v, abs_sum += fabs(v), max = v > max ? v : max;
        }
        const double want = is_max ? max : sum / (double)length;
        const double tol = is_max ? 0 : ((double)length + 4) * FT_U * abs_sum / (double)length;
        if (!ft_close(y.p[r], want, tol)) ft_mismatch(&bad, name, "rows", length, r, y.p[r], want, tol);
        if (!is_max && y.p[r] != ordered_mean(x.p + r * length, length))
          ft_mismatch(&bad, name, "mean bits", length, r, y.p[r], ordered_mean(x.p + r * length, length), 0);
      }
      if (!ft_guard_ok(&y, rows)) ft_outside(&bad, name, "rows", length);
      ft_free(&x), ft_free(&y);
    }
  ft_report(name, n_cases - before, bad);
}

int main(void) {
  size_t count;
  const qi_f32_pool_config *const *list = qi_f32_pool_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_pool_config *c = list[i];
    const char *names[] = {c->name_maxpool2d, c->name_avgpool2d, c->name_maxpool_nd, c->name_avgpool_nd,
                           c->name_lppool_nd, c->name_gavgpool,  c->name_gmaxpool};
    if (!kl_runnable_all(names, 7, c->features)) continue;
    test_windows(&seen, &(pool_kernel){c->name_maxpool2d, MAX_2D, .max2d = c->maxpool2d}, (uintptr_t)c->maxpool2d);
    test_windows(&seen, &(pool_kernel){c->name_avgpool2d, AVG_2D, .avg2d = c->avgpool2d}, (uintptr_t)c->avgpool2d);
    test_windows(&seen, &(pool_kernel){c->name_maxpool_nd, MAX_ND, .max_nd = c->maxpool_nd}, (uintptr_t)c->maxpool_nd);
    test_windows(&seen, &(pool_kernel){c->name_avgpool_nd, AVG_ND, .avg_nd = c->avgpool_nd}, (uintptr_t)c->avgpool_nd);
    test_windows(&seen, &(pool_kernel){c->name_lppool_nd, LP_ND, .lp_nd = c->lppool_nd}, (uintptr_t)c->lppool_nd);
    test_global(&seen, c->gavgpool, c->name_gavgpool, false);
    test_global(&seen, c->gmaxpool, c->name_gmaxpool, true);
  }
  const qi_f32_maxpool2d_ukernel_fn emu_max2d = test_f32_maxpool2d_chw_ukernel__emu16;
  const qi_f32_avgpool2d_ukernel_fn emu_avg2d = test_f32_avgpool2d_chw_ukernel__emu16;
  test_windows(&seen, &(pool_kernel){"test_f32_maxpool2d_chw_ukernel__emu16", MAX_2D, .max2d = emu_max2d},
               (uintptr_t)emu_max2d);
  test_windows(&seen, &(pool_kernel){"test_f32_avgpool2d_chw_ukernel__emu16", AVG_2D, .avg2d = emu_avg2d},
               (uintptr_t)emu_avg2d);
  test_global(&seen, QI_KERNEL(test_f32_gavgpool_ukernel__emu16), false);
  test_global(&seen, QI_KERNEL(test_f32_gmaxpool_ukernel__emu16), true);
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
