/* Tester of the f32 multiply-add kernel (kernels/f32-vmulcaddc): every config of the family's list
 * (qi_f32_vmulcaddc_config_list) this CPU can run (the others reported as skipped), y = x * scale + bias against
 * the double-precision product and sum, at every length of f32_tester.h, out of place and in place (y == x),
 * scales and biases 0, 1, -2, tiny, large and random, no write outside the row. Exact: the product rounded to
 * float, then the sum rounded (no FMA), on every path, so that a BatchNormalization left in float between
 * quantized tensors keeps an INT8 model's outputs identical across ISA paths; the double-precision value
 * bounds it within 3 * 2^-24 * (|x * scale| + |bias|) as a check of the oracle itself.
 *
 * The AVX-512 kernels' logic also runs here: vmulcaddc-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), its kernel tested like listed ones. */
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-vmulcaddc/vmulcaddc.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static long long n_cases;

/* ---- vmulcaddc-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#include "kernels/f32-vmulcaddc/vmulcaddc-simd.h"
static QI_F32_VMULCADDC_UKERNEL_DECL(test_f32_vmulcaddc_ukernel__emu16) { qi_f32_vmulcaddc_simd(n, x, scale, bias, y); }

static void test_kernel(qi_f32_vmulcaddc_ukernel_fn fn, const char *name) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(FT_MAXN);
  uint32_t seed = 0x3c6ef372u;
  const float params[][2] = {{1.5f, -0.25f}, {0, 3}, {1, 0}, {-2, 1e3f}, {1e-3f, -1e-3f}, {0.37f, 0.81f}};
  const char *const what = "y = x * scale + bias";
  const long long before = n_cases;
  int bad = 0;
  for (size_t si = 0; si < FT_NSIZES; si++)
    for (size_t pi = 0; pi <= sizeof params / sizeof params[0]; pi++)
      for (int in_place = 0; in_place < 2; in_place++) {
        const size_t n = ft_sizes[si];
        const bool random = pi == sizeof params / sizeof params[0];
        const float scale = random ? ft_uniform(&seed, -4, 4) : params[pi][0];
        const float bias = random ? ft_uniform(&seed, -4, 4) : params[pi][1];
        float xs[FT_MAXN];
        for (size_t i = 0; i < n; i++) xs[i] = x.p[i] = ft_uniform(&seed, -100, 100);
        ft_buf *out = in_place ? &x : &y;
        ft_guard(out, n);
        fn(n, x.p, scale, bias, out->p);
        for (size_t i = 0; i < n; i++) {
          const double prod = (double)xs[i] * scale, exact = prod + bias;
          const volatile float rounded_prod = (float)prod; /* the float product, rounded once */
          const float want = rounded_prod + bias;           /* the float sum, rounded once */
          const double tol = 3 * FT_U * (fabs(prod) + fabs((double)bias));
          if (!(fabs((double)want - exact) <= tol)) ft_mismatch(&bad, "oracle", what, n, i, want, exact, tol);
          if (!ft_close(out->p[i], want, 0)) ft_mismatch(&bad, name, what, n, i, out->p[i], want, 0);
        }
        if (!ft_guard_ok(out, n)) ft_outside(&bad, name, what, n);
        n_cases++;
      }
  ft_report(name, n_cases - before, bad);
  ft_free(&x), ft_free(&y);
}

int main(void) {
  size_t count;
  const qi_f32_vmulcaddc_config *const *list = qi_f32_vmulcaddc_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++)
    if (kl_runnable(list[i]->name, list[i]->features) && KL_FIRST(&seen, list[i]->ukernel, list[i]->name))
      test_kernel(list[i]->ukernel, list[i]->name);
  test_kernel(QI_KERNEL(test_f32_vmulcaddc_ukernel__emu16));
  printf("%lld cases\n", n_cases);
  return TEST_SUMMARY();
}
