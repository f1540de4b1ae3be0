/* Tester of the f32 softmax kernels (kernels/f32-softmax): softmax and logsoftmax of every config of the family's
 * list (qi_f32_softmax_config_list) this CPU can run (the others reported as skipped), against the definitions in
 * double precision, y = exp(x - max) / sum exp(x - max) and y = x - max - log(sum exp(x - max)), at every length
 * of f32_tester.h from 1, out of place and in place (y == x), no write outside the row. Rows: uniform in
 * [-10, 10]; the same around 1000 (exp(x) alone overflows: the max must be subtracted); constant; with -inf
 * entries (masked logits); one logit 60 (the rest at most 10).
 *
 * Tolerances, from the error analysis of the kernels' steps (so a SIMD kernel's reordering stays inside them),
 * with u = 2^-24, spread = max |x - max| over the row's finite entries: softmax within
 * (n + 16 + 2 * spread) * u of each output, relative (the rounding of x - max amplified by exp, exp's few ulp, the
 * n-term sum, the division), plus FLT_MIN for outputs that underflow; logsoftmax within the same relative error of
 * the sum (as an absolute error of its log) plus 4 u (|x| + |max| + |log sum|), the roundings of the subtraction.
 *
 * The AVX-512 kernels' logic also runs here: softmax-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), its kernels tested like listed
 * ones. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-softmax/softmax.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

enum { ROW_UNIFORM, ROW_OFFSET, ROW_CONSTANT, ROW_MASKED, ROW_DOMINANT, ROW_KINDS };
static const char *const row_names[ROW_KINDS] = {"uniform", "offset 1000", "constant", "masked", "dominant"};

static void fill(int kind, size_t n, float *x, uint32_t *seed) {
  const float c = ft_uniform(seed, -10, 10);
  for (size_t i = 0; i < n; i++) {
    switch (kind) {
      case ROW_OFFSET: x[i] = 1000 + ft_uniform(seed, -10, 10); break;
      case ROW_CONSTANT: x[i] = c; break;
      case ROW_MASKED: x[i] = i % 5 == 3 ? -INFINITY : ft_uniform(seed, -10, 10); break;
      default: x[i] = ft_uniform(seed, -10, 10);
    }
  }
  if (kind == ROW_DOMINANT) x[ft_next(seed) % n] = 60;
}

/* ---- softmax-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
QI_F32_SOFTMAX_UKERNEL_DECL(QV_UKERNEL(softmax));
QI_F32_SOFTMAX_UKERNEL_DECL(QV_UKERNEL(logsoftmax));
#include "kernels/f32-softmax/softmax-simd.h"

static long long n_cases;

static void test_kernel(qi_f32_softmax_ukernel_fn fn, const char *name, bool is_log) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(FT_MAXN);
  uint32_t seed = is_log ? 0x2545f491u : 0x9e3779b9u;
  const long long before = n_cases;
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (int kind = 0; kind < ROW_KINDS; kind++)
      for (int in_place = 0; in_place < 2; in_place++) {
        const size_t n = ft_sizes[si];
        if (n == 0) continue; /* rows hold at least one element */
        fill(kind, n, x.p, &seed);
        float xs[FT_MAXN];
        memcpy(xs, x.p, n * sizeof(float));
        double m = -INFINITY, sum = 0, spread = 0;
        for (size_t i = 0; i < n; i++) m = xs[i] > m ? xs[i] : m;
        for (size_t i = 0; i < n; i++) {
          sum += exp(xs[i] - m);
          if (isfinite(xs[i])) spread = fmax(spread, m - xs[i]);
        }
        const double rel = ((double)n + 16 + 2 * spread) * FT_U;
        ft_buf *out = in_place ? &x : &y;
        ft_guard(out, n);
        fn(n, x.p, out->p);
        for (size_t i = 0; i < n; i++) {
          const double want = is_log ? xs[i] - m - log(sum) : exp(xs[i] - m) / sum;
          const double tol = is_log ? rel + 4 * FT_U * (fabs(xs[i]) + fabs(m) + fabs(log(sum))) : rel * want + FLT_MIN;
          if (!ft_close(out->p[i], want, tol)) ft_mismatch(&bad, name, row_names[kind], n, i, out->p[i], want, tol);
        }
        if (!ft_guard_ok(out, n)) ft_outside(&bad, name, row_names[kind], n);
        n_cases++;
      }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

int main(void) {
  size_t count;
  const qi_f32_softmax_config *const *list = qi_f32_softmax_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_softmax_config *cfg = list[i];
    const char *names[] = {cfg->name_softmax, cfg->name_logsoftmax};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    if (KL_FIRST(&seen, cfg->softmax, cfg->name_softmax)) test_kernel(cfg->softmax, cfg->name_softmax, false);
    if (KL_FIRST(&seen, cfg->logsoftmax, cfg->name_logsoftmax))
      test_kernel(cfg->logsoftmax, cfg->name_logsoftmax, true);
  }
  test_kernel(QE_NAMED(softmax), false);
  test_kernel(QE_NAMED(logsoftmax), true);
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
