/* Tester of the f32 normalization kernels (kernels/f32-layernorm): rmeanvar and layernorm of every config of the
 * family's list (qi_f32_layernorm_config_list) this CPU can run (the others reported as skipped), against the
 * definitions in double precision: mean, biased variance, y = (x - mean) / sqrt(var + eps) * scale + bias (with
 * and without bias, out of place and in place), and the mean and 1 / sqrt(var + eps) layernorm returns; every
 * length of f32_tester.h from 1; rows around 0, around 1000 with spread 1 (a one-pass E[x^2] - E[x]^2 variance
 * cancels there), wide ones and constant ones (variance 0: eps alone); eps 1e-5 and 1e-2; no write outside the
 * row.
 *
 * Tolerances, the worst-case bounds of the kernels' steps in any summation order, u = 2^-24: the mean within
 * d = (n + 2) u mean(|x|); the variance within d^2 + (n + 5) u (var + d^2) (the mean's error enters squared,
 * since sum(x - mean) = 0); 1 / sqrt(var + eps) within its relative error e = that bound / (2 (var + eps)) + 3u;
 * each y within |scale| r ((|x - mean| + d) (e + 4u) + d) + 2u (|y| + |bias|).
 *
 * The AVX-512 kernels' logic also runs here: layernorm-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), its kernels tested like listed
 * ones. */
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-layernorm/layernorm.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

typedef struct row_kind {
  const char *what;
  float offset, spread;
} row_kind;
static const row_kind kinds[] = {{"around 0", 0, 1}, {"around 1000", 1000, 1}, {"wide", -3, 50}, {"constant", 5, 0}};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* The oracle of one row and the bounds of the mean and the variance. */
typedef struct moments {
  double mean, var, mean_tol, var_tol;
} moments;

static moments row_moments(size_t n, const float *x) {
  moments m = {0};
  double abs_sum = 0;
  for (size_t i = 0; i < n; i++) m.mean += x[i], abs_sum += fabs((double)x[i]);
  m.mean /= (double)n;
  for (size_t i = 0; i < n; i++) m.var += ((double)x[i] - m.mean) * ((double)x[i] - m.mean);
  m.var /= (double)n;
  const double d = ((double)n + 2) * FT_U * abs_sum / (double)n;
  m.mean_tol = d;
  m.var_tol = d * d + ((double)n + 5) * FT_U * (m.var + d * d);
  return m;
}

/* ---- layernorm-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
QI_F32_RMEANVAR_UKERNEL_DECL(QV_UKERNEL(rmeanvar));
QI_F32_LAYERNORM_UKERNEL_DECL(QV_UKERNEL(layernorm));
#include "kernels/f32-layernorm/layernorm-simd.h"

static long long n_cases;

static void test_rmeanvar(qi_f32_rmeanvar_ukernel_fn fn, const char *name) {
  ft_buf x = ft_alloc(FT_MAXN), out = ft_alloc(2);
  uint32_t seed = 0x61c88647u;
  const long long before = n_cases;
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (size_t k = 0; k < NKINDS; k++) {
      const size_t n = ft_sizes[si];
      if (n == 0) continue; /* rows hold at least one element */
      for (size_t i = 0; i < n; i++) x.p[i] = kinds[k].offset + kinds[k].spread * ft_uniform(&seed, -1, 1);
      const moments m = row_moments(n, x.p);
      ft_guard(&out, 2);
      fn(n, x.p, &out.p[0], &out.p[1]);
      if (!ft_close(out.p[0], m.mean, m.mean_tol)) ft_mismatch(&bad, name, "mean", n, 0, out.p[0], m.mean, m.mean_tol);
      if (!ft_close(out.p[1], m.var, m.var_tol)) ft_mismatch(&bad, name, "variance", n, 1, out.p[1], m.var, m.var_tol);
      if (!ft_guard_ok(&out, 2)) ft_outside(&bad, name, kinds[k].what, n);
      n_cases++;
    }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&out);
}

static void test_layernorm(qi_f32_layernorm_ukernel_fn fn, const char *name) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(FT_MAXN), scale = ft_alloc(FT_MAXN), bias = ft_alloc(FT_MAXN);
  uint32_t seed = 0x7f4a7c15u;
  const long long before = n_cases;
  const float epsilons[] = {1e-5f, 1e-2f};
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (size_t k = 0; k < NKINDS; k++)
      for (int variant = 0; variant < 4; variant++) { /* bit 0: in place, bit 1: no bias */
        const size_t n = ft_sizes[si];
        if (n == 0) continue;
        const bool in_place = variant & 1, has_bias = !(variant & 2);
        const float eps = epsilons[(si + k) % 2];
        for (size_t i = 0; i < n; i++) {
          x.p[i] = kinds[k].offset + kinds[k].spread * ft_uniform(&seed, -1, 1);
          scale.p[i] = ft_uniform(&seed, -2, 2), bias.p[i] = ft_uniform(&seed, -1, 1);
        }
        float xs[FT_MAXN], mean, inv_std;
        memcpy(xs, x.p, n * sizeof(float));
        const moments m = row_moments(n, xs);
        const double r = 1 / sqrt(m.var + eps), r_rel = m.var_tol / (2 * (m.var + eps)) + 3 * FT_U;
        ft_buf *out = in_place ? &x : &y;
        ft_guard(out, n);
        fn(n, x.p, scale.p, has_bias ? bias.p : NULL, eps, out->p, &mean, &inv_std);
        for (size_t i = 0; i < n; i++) {
          const double b = has_bias ? bias.p[i] : 0, dx = fabs(xs[i] - m.mean);
          const double want = (xs[i] - m.mean) * r * scale.p[i] + b;
          const double tol = fabs(scale.p[i]) * r * ((dx + m.mean_tol) * (r_rel + 4 * FT_U) + m.mean_tol) +
                             2 * FT_U * (fabs(want) + fabs(b));
          if (!ft_close(out->p[i], want, tol)) ft_mismatch(&bad, name, kinds[k].what, n, i, out->p[i], want, tol);
        }
        if (!ft_close(mean, m.mean, m.mean_tol)) ft_mismatch(&bad, name, "mean", n, 0, mean, m.mean, m.mean_tol);
        if (!ft_close(inv_std, r, r * r_rel)) ft_mismatch(&bad, name, "1 / std", n, 0, inv_std, r, r * r_rel);
        if (!ft_guard_ok(out, n)) ft_outside(&bad, name, kinds[k].what, n);
        n_cases++;
      }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y), ft_free(&scale), ft_free(&bias);
}

int main(void) {
  size_t count;
  const qi_f32_layernorm_config *const *list = qi_f32_layernorm_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_layernorm_config *cfg = list[i];
    const char *names[] = {cfg->name_rmeanvar, cfg->name_layernorm};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    if (KL_FIRST(&seen, cfg->rmeanvar, cfg->name_rmeanvar)) test_rmeanvar(cfg->rmeanvar, cfg->name_rmeanvar);
    if (KL_FIRST(&seen, cfg->layernorm, cfg->name_layernorm)) test_layernorm(cfg->layernorm, cfg->name_layernorm);
  }
  test_rmeanvar(QE_NAMED(rmeanvar));
  test_layernorm(QE_NAMED(layernorm));
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
