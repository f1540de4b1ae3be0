/* Tester of the f32 reduction kernels (kernels/f32-reduce): for every config of the family's list
 * (qi_f32_reduce_config_list) this CPU can run (the others reported as skipped), each kind's row kernel (r) and
 * strided kernel (rd), and the sumexp pair, against a double-precision oracle written here: acc(y0, f(x)) over
 * the row (rows), starting from a y0 the kernel must accumulate into, at every length of f32_tester.h, in one
 * call and split in two chained calls; rd over 0..17 rows of every channel count, strides equal to and wider
 * than the channels; NaN in max / min rows; no write outside y.
 *
 * Tolerances: max and min exact (the result is an input; NaN propagates). The others are the worst-case bound
 * of any summation or multiplication order, so they hold for a SIMD kernel's partial sums too: sum, sum of
 * squares, sum of |x| within (t + 4) * 2^-24 * (|y0| + sum of |terms|) for t terms; product within
 * (t + 4) * 2^-24 * |result|; sumexp (positive terms) within (t + 16 + max |x - m|) * 2^-24 * result, the
 * rounding of x - m scaled by exp's slope and a few ulp for exp.
 *
 * The AVX-512 kernels' logic also runs here: reduce-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), each of its kernels tested like a
 * listed one. */
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-reduce/reduce.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* ---- reduce-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
/* (kind, row kernel, strided kernel) of every kind reduce-simd.h defines */
#define EMU16_KINDS(X)                    \
  X(QI_REDUCE_SUM, rsum, rdsum)           \
  X(QI_REDUCE_SUMSQ, rsumsq, rdsumsq)     \
  X(QI_REDUCE_SUMABS, rsumabs, rdsumabs)  \
  X(QI_REDUCE_MAX, rmax, rdmax)           \
  X(QI_REDUCE_MIN, rmin, rdmin)
#define EMU16_DECL(kind, r, rd)                \
  QI_F32_RREDUCE_UKERNEL_DECL(QV_UKERNEL(r)); \
  QI_F32_RDREDUCE_UKERNEL_DECL(QV_UKERNEL(rd));
EMU16_KINDS(EMU16_DECL)
QI_F32_RSUMEXP_UKERNEL_DECL(QV_UKERNEL(rsumexp));
QI_F32_RDSUMEXP_UKERNEL_DECL(QV_UKERNEL(rdsumexp));
#include "kernels/f32-reduce/reduce-simd.h"

static const char *const kind_names[QI_REDUCE_KIND_COUNT] = {"sum", "sumsq", "sumabs", "max", "min", "prod"};

static double term(qi_reduce_kind k, double x) {
  return k == QI_REDUCE_SUMSQ ? x * x : k == QI_REDUCE_SUMABS ? fabs(x) : x;
}

/* The running oracle of one output: value and the magnitude its bound scales with. */
typedef struct acc {
  double v, mag;
  size_t terms;
} acc;

static void add_term(qi_reduce_kind k, acc *a, double x) {
  const double t = term(k, x);
  switch (k) {
    case QI_REDUCE_MAX: a->v = isnan(a->v) || isnan(t) ? NAN : (t > a->v ? t : a->v); break;
    case QI_REDUCE_MIN: a->v = isnan(a->v) || isnan(t) ? NAN : (t < a->v ? t : a->v); break;
    case QI_REDUCE_PROD: a->v *= t; break;
    default: a->v += t, a->mag += fabs(t);
  }
  a->terms++;
}
static double tolerance(qi_reduce_kind k, const acc *a) {
  if (k == QI_REDUCE_MAX || k == QI_REDUCE_MIN) return 0;
  return (double)(a->terms + 4) * FT_U * (k == QI_REDUCE_PROD ? fabs(a->v) : a->mag);
}

/* Inputs of kind k: sums in [-10, 10], max / min in [-100, 100] with a NaN now and then, products of magnitudes
 * 2^[-1, 1] so that long rows neither overflow nor underflow. */
static float draw(qi_reduce_kind k, uint32_t *seed, bool nans) {
  if (k == QI_REDUCE_PROD) {
    const float v = exp2f(ft_uniform(seed, -1, 1));
    return ft_next(seed) & 1 ? -v : v;
  }
  if (k == QI_REDUCE_MAX || k == QI_REDUCE_MIN)
    return nans && ft_next(seed) % 97 == 0 ? NAN : ft_uniform(seed, -100, 100);
  return ft_uniform(seed, -10, 10);
}
static acc start(qi_reduce_kind k, float y0) { return (acc){y0, k == QI_REDUCE_PROD ? 0 : fabs((double)y0), 1}; }

static long long n_cases;

static void test_r(qi_f32_rreduce_ukernel_fn fn, const char *name, qi_reduce_kind k) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(1);
  uint32_t seed = 0x27d4eb2du + (uint32_t)k;
  const long long before = n_cases;
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (int split = 0; split < 2; split++)
      for (int nans = 0; nans < 2; nans++) {
        const size_t n = ft_sizes[si], half = split ? n / 2 : n;
        for (size_t i = 0; i < n; i++) x.p[i] = draw(k, &seed, nans);
        const float y0 = draw(k, &seed, false);
        acc a = start(k, y0);
        for (size_t i = 0; i < n; i++) add_term(k, &a, x.p[i]);
        ft_guard(&y, 1);
        y.p[0] = y0;
        fn(half, x.p, y.p);
        if (split) fn(n - half, x.p + half, y.p);
        const double tol = tolerance(k, &a);
        if (!ft_close(y.p[0], a.v, tol)) ft_mismatch(&bad, name, kind_names[k], n, 0, y.p[0], a.v, tol);
        if (!ft_guard_ok(&y, 1)) ft_outside(&bad, name, kind_names[k], n);
        n_cases++;
      }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

static const size_t row_counts[] = {0, 1, 2, 3, 5, 8, 17};
#define NROWCOUNTS (sizeof row_counts / sizeof row_counts[0])
#define MAXROWS 17

/* The rd kernels' shapes, shape s of 0, 1, ...: every row count by every length of f32_tester.h as the channel
 * count, with the stride equal to the channels or 3 wider. False past the last one. */
static bool rd_shape(size_t s, size_t *rows, size_t *channels, size_t *stride) {
  if (s >= NROWCOUNTS * FT_NSIZES * 2) return false;
  *rows = row_counts[s / (FT_NSIZES * 2)], *channels = ft_sizes[s / 2 % FT_NSIZES];
  *stride = *channels + (s % 2) * 3;
  return true;
}

static void test_rd(qi_f32_rdreduce_ukernel_fn fn, const char *name, qi_reduce_kind k) {
  ft_buf x = ft_alloc(MAXROWS * (FT_MAXN + 3)), y = ft_alloc(FT_MAXN);
  static acc a[FT_MAXN];
  uint32_t seed = 0x165667b1u + (uint32_t)k;
  const long long before = n_cases;
  int bad = 0;
  size_t rows, channels, stride;
  for (size_t shape = 0; rd_shape(shape, &rows, &channels, &stride); shape++) {
    for (size_t i = 0; i < rows * stride; i++) x.p[i] = draw(k, &seed, true);
    ft_guard(&y, channels);
    for (size_t c = 0; c < channels; c++) y.p[c] = draw(k, &seed, false), a[c] = start(k, y.p[c]);
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < channels; c++) add_term(k, &a[c], x.p[r * stride + c]);
    fn(rows, channels, x.p, stride, y.p);
    for (size_t c = 0; c < channels; c++) {
      const double tol = tolerance(k, &a[c]);
      if (!ft_close(y.p[c], a[c].v, tol)) ft_mismatch(&bad, name, kind_names[k], rows, c, y.p[c], a[c].v, tol);
    }
    if (!ft_guard_ok(&y, channels)) ft_outside(&bad, name, kind_names[k], rows);
    n_cases++;
  }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

/* sumexp's bound: positive terms, so relative to the result; spread = max |x - m| over finite x. */
static double sumexp_tolerance(double want, size_t terms, double spread) {
  return ((double)terms + 16 + spread) * FT_U * want;
}
/* x in [-8, 8] with -inf now and then (a masked logit); m the row's max or 3. */
static float draw_logit(uint32_t *seed) { return ft_next(seed) % 31 == 0 ? -INFINITY : ft_uniform(seed, -8, 8); }

static void test_rsumexp(qi_f32_rsumexp_ukernel_fn fn, const char *name) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(1);
  uint32_t seed = 0xd3a2646cu;
  const long long before = n_cases;
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (int use_max = 0; use_max < 2; use_max++) {
      const size_t n = ft_sizes[si];
      float m = use_max ? -INFINITY : 3;
      for (size_t i = 0; i < n; i++) x.p[i] = draw_logit(&seed), m = use_max && x.p[i] > m ? x.p[i] : m;
      if (!isfinite(m)) m = 0;
      const float y0 = ft_uniform(&seed, 0, 10);
      double want = y0, spread = 0;
      for (size_t i = 0; i < n; i++) {
        want += exp((double)x.p[i] - m);
        if (isfinite(x.p[i])) spread = fmax(spread, fabs((double)x.p[i] - m));
      }
      ft_guard(&y, 1);
      y.p[0] = y0;
      fn(n, x.p, &m, y.p);
      const double tol = sumexp_tolerance(want, n + 1, spread);
      if (!ft_close(y.p[0], want, tol)) ft_mismatch(&bad, name, "sumexp", n, 0, y.p[0], want, tol);
      if (!ft_guard_ok(&y, 1)) ft_outside(&bad, name, "sumexp", n);
      n_cases++;
    }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

static void test_rdsumexp(qi_f32_rdsumexp_ukernel_fn fn, const char *name) {
  ft_buf x = ft_alloc(MAXROWS * (FT_MAXN + 3)), y = ft_alloc(FT_MAXN);
  static float m[FT_MAXN];
  static double want[FT_MAXN], spread[FT_MAXN];
  uint32_t seed = 0xfd7046c5u;
  const long long before = n_cases;
  int bad = 0;
  size_t rows, channels, stride;
  for (size_t shape = 0; rd_shape(shape, &rows, &channels, &stride); shape++) {
    for (size_t i = 0; i < rows * stride; i++) x.p[i] = draw_logit(&seed);
    ft_guard(&y, channels);
    for (size_t c = 0; c < channels; c++) {
      m[c] = stride > channels ? ft_uniform(&seed, -2, 2) : -INFINITY; /* an offset, or the column's max */
      for (size_t r = 0; r < rows && stride == channels; r++) m[c] = fmaxf(m[c], x.p[r * stride + c]);
      if (!isfinite(m[c])) m[c] = 0;
      y.p[c] = ft_uniform(&seed, 0, 10), want[c] = y.p[c], spread[c] = 0;
      for (size_t r = 0; r < rows; r++) {
        const double v = x.p[r * stride + c];
        want[c] += exp(v - m[c]);
        if (isfinite(v)) spread[c] = fmax(spread[c], fabs(v - m[c]));
      }
    }
    fn(rows, channels, x.p, stride, m, y.p);
    for (size_t c = 0; c < channels; c++) {
      const double tol = sumexp_tolerance(want[c], rows + 1, spread[c]);
      if (!ft_close(y.p[c], want[c], tol)) ft_mismatch(&bad, name, "sumexp", rows, c, y.p[c], want[c], tol);
    }
    if (!ft_guard_ok(&y, channels)) ft_outside(&bad, name, "sumexp", rows);
    n_cases++;
  }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

int main(void) {
  size_t count;
  const qi_f32_reduce_config *const *list = qi_f32_reduce_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_reduce_config *cfg = list[i];
    const char *names[2 * QI_REDUCE_KIND_COUNT + 2];
    for (int k = 0; k < QI_REDUCE_KIND_COUNT; k++) names[2 * k] = cfg->r[k].name, names[2 * k + 1] = cfg->rd[k].name;
    names[2 * QI_REDUCE_KIND_COUNT] = cfg->name_rsumexp, names[2 * QI_REDUCE_KIND_COUNT + 1] = cfg->name_rdsumexp;
    if (!kl_runnable_all(names, sizeof names / sizeof names[0], cfg->features)) continue;
    for (int k = 0; k < QI_REDUCE_KIND_COUNT; k++) {
      if (KL_FIRST(&seen, cfg->r[k].ukernel, cfg->r[k].name)) test_r(cfg->r[k].ukernel, cfg->r[k].name, k);
      if (KL_FIRST(&seen, cfg->rd[k].ukernel, cfg->rd[k].name)) test_rd(cfg->rd[k].ukernel, cfg->rd[k].name, k);
    }
    if (KL_FIRST(&seen, cfg->rsumexp, cfg->name_rsumexp)) test_rsumexp(cfg->rsumexp, cfg->name_rsumexp);
    if (KL_FIRST(&seen, cfg->rdsumexp, cfg->name_rdsumexp)) test_rdsumexp(cfg->rdsumexp, cfg->name_rdsumexp);
  }
#define EMU16_TEST(kind, r, rd) test_r(QE_NAMED(r), kind), test_rd(QE_NAMED(rd), kind);
  EMU16_KINDS(EMU16_TEST)
  test_rsumexp(QE_NAMED(rsumexp));
  test_rdsumexp(QE_NAMED(rdsumexp));
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
