/* Tester of the f32 elementwise binary kernels (kernels/f32-vbinary): the three kernels (vector op vector, vector
 * op broadcast value, broadcast value op vector) of every (op, kernels) entry of the family's list
 * (qi_f32_vbinary_config_list) this CPU can run, the others reported as skipped, against an oracle written here
 * in double precision from the ONNX definition of the op, at every length of f32_tester.h, out of place and in
 * place (y == a), with special operands (signed zeros, infinities, NaN where the result is defined) spread over
 * both vectors and as the broadcast value (pow's exponents 2, 0.5, 3, -1: the x * x path), and no write outside
 * the row.
 *
 * Tolerances, |y - f(a, b)| <= rtol * |f(a, b)| (and the same infinity, NaN for NaN):
 *   - exact: max, min (a result is an operand; NaN from either side) and mod (C fmod: its result is exactly
 *     representable);
 *   - rtol 1e-6 (about 8 ulp): add, sub, mul, div, prelu, one IEEE operation each (correctly rounded: half an ulp);
 *   - rtol 1e-5 (about 80 ulp): pow against libm's pow in double, room for a SIMD exp(b * log(a));
 * plus half an ulp of a denormal (2^-150) where rtol > 0, for results that land among the denormals.
 *
 * Denormal operands and results (rows "..., denormals"): IEEE on every path but one. 32-bit Arm's NEON arithmetic
 * (ARMv7 Advanced SIMD) always flushes denormal operands and results to zero, whatever FPSCR says; the NEON entries
 * of an armv7 build are therefore also accepted when their result, flushed to zero, is the oracle's result of the
 * operands flushed to zero, flushed in turn (max(2e-45, 1e-45) may give 1e-45: compare and select see zeros but
 * return an operand's bits). docs/kernels.md lists the behaviour. qemu-arm flushes the arithmetic but not the
 * comparisons, so hardware may take the flushing branch where qemu does not; both pass.
 *
 * The AVX-512 kernels' logic also runs here: vbinary-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), every SIMD op tested like a listed
 * entry. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-vbinary/vbinary.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static double o_add(double a, double b) { return a + b; }
static double o_sub(double a, double b) { return a - b; }
static double o_mul(double a, double b) { return a * b; }
static double o_div(double a, double b) { return a / b; }
/* ONNX Max / Min: NaN from either operand propagates */
static double o_max(double a, double b) { return isnan(a) || isnan(b) ? NAN : (a > b ? a : b); }
static double o_min(double a, double b) { return isnan(a) || isnan(b) ? NAN : (a < b ? a : b); }
static double o_pow(double a, double b) { return pow(a, b); }
static double o_prelu(double a, double slope) { return a < 0 ? a * slope : a; }
static double o_mod(double a, double b) { return fmod(a, b); } /* Mod with fmod = 1: the sign of a */

#define MAX_SPECIALS 8
/* One op: a in [a_lo, a_hi] and b in [b_lo, b_hi], each with a random sign when signed, b rounded to an integer
 * when b_integer; every fourth element of a and of b (at other positions) replaced by the next special value;
 * the broadcast kernels run with a random b[0] and with each of cvals. */
typedef struct binary_row {
  qi_vbinary_op op;
  const char *what;
  double (*f)(double a, double b);
  float a_lo, a_hi, b_lo, b_hi;
  bool a_signed, b_signed, b_integer;
  double rtol;
  size_t n_specials;
  float specials[MAX_SPECIALS];
  size_t n_cvals;
  float cvals[4];
} binary_row;

#define SPECIALS(...) sizeof((float[]){__VA_ARGS__}) / sizeof(float), {__VA_ARGS__}
#define DENORMS 1e-45f, -1e-45f, 1e-40f, -3e-39f, FLT_MIN, 0.0f, -0.0f
#define TINY 1e-37f /* operands up to about 8 FLT_MIN: sums and differences among the denormals */
#define NO_CVALS 0, {0}

static const binary_row rows[] = {
    {QI_VBINARY_ADD, "add", o_add, 0, 100, 0, 100, true, true, false, 1e-6,
     SPECIALS(0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MAX), NO_CVALS},
    {QI_VBINARY_SUB, "sub", o_sub, 0, 100, 0, 100, true, true, false, 1e-6,
     SPECIALS(0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f), NO_CVALS},
    {QI_VBINARY_MUL, "mul", o_mul, 0, 100, 0, 100, true, true, false, 1e-6,
     SPECIALS(0.0f, -0.0f, INFINITY, NAN, 1e30f, 1e-30f), NO_CVALS},
    {QI_VBINARY_DIV, "div", o_div, 0.1f, 100, 0.1f, 10, true, true, false, 1e-6, SPECIALS(INFINITY, NAN, 1e30f, 1e-30f),
     NO_CVALS},
    {QI_VBINARY_MAX, "max", o_max, 0, 100, 0, 100, true, true, false, 0,
     SPECIALS(0.0f, -0.0f, INFINITY, -INFINITY, NAN), SPECIALS(NAN, -INFINITY)},
    {QI_VBINARY_MIN, "min", o_min, 0, 100, 0, 100, true, true, false, 0,
     SPECIALS(0.0f, -0.0f, INFINITY, -INFINITY, NAN), SPECIALS(NAN, INFINITY)},
    {QI_VBINARY_POW, "pow, positive base", o_pow, 0.01f, 10, 0, 3, false, true, false, 1e-5, SPECIALS(1.0f, 0.5f, 2.0f),
     SPECIALS(2.0f, 0.5f, 3.0f, -1.0f)},
    {QI_VBINARY_POW, "pow, integer exponent", o_pow, 0, 4, 0, 3, true, true, true, 1e-5, SPECIALS(0.0f, -1.0f),
     SPECIALS(2.0f, 3.0f, -1.0f)},
    {QI_VBINARY_PRELU, "prelu", o_prelu, 0, 10, 0, 2, true, true, false, 1e-6, SPECIALS(0.0f, -0.0f, -1e30f),
     SPECIALS(0.0f, -1.0f)},
    {QI_VBINARY_ADD, "add, denormals", o_add, 0, TINY, 0, TINY, true, true, false, 1e-6, SPECIALS(DENORMS), NO_CVALS},
    {QI_VBINARY_SUB, "sub, denormals", o_sub, 0, TINY, 0, TINY, true, true, false, 1e-6, SPECIALS(DENORMS),
     SPECIALS(1e-45f, -3e-39f)},
    {QI_VBINARY_MUL, "mul, denormals", o_mul, 0, 1e-19f, 0, 1e-19f, true, true, false, 1e-6,
     SPECIALS(1e-45f, -1e-40f, 1e30f, FLT_MIN, 1.0f), SPECIALS(1e30f, 1e-40f)},
    {QI_VBINARY_DIV, "div, denormals", o_div, 0, TINY, 1, 4, true, true, false, 1e-6, SPECIALS(1e-45f, -1e-40f, 4.0f),
     SPECIALS(3.0f, 1e-40f)},
    {QI_VBINARY_MAX, "max, denormals", o_max, 0, TINY, 0, TINY, true, true, false, 0, SPECIALS(DENORMS),
     SPECIALS(1e-45f, -0.0f)},
    {QI_VBINARY_MIN, "min, denormals", o_min, 0, TINY, 0, TINY, true, true, false, 0, SPECIALS(DENORMS),
     SPECIALS(-1e-45f, 0.0f)},
    {QI_VBINARY_PRELU, "prelu, denormals", o_prelu, 0, TINY, 0, 2, true, true, false, 1e-6, SPECIALS(DENORMS),
     SPECIALS(0.5f, 1e-40f)},
    {QI_VBINARY_MOD, "mod", o_mod, 0, 100, 0.5f, 10, true, true, false, 0, SPECIALS(0.0f, -0.0f, 7.5f, -7.5f),
     SPECIALS(2.5f, -3.0f)},
};
#define NROWS (sizeof rows / sizeof rows[0])

/* ---- vbinary-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#define EMU16_DECL(kind, op, opc, ropc)          \
  QI_F32_VBINARY_UKERNEL_DECL(QV_UKERNEL(op));  \
  QI_F32_VBINARY_UKERNEL_DECL(QV_UKERNEL(opc)); \
  QI_F32_VBINARY_UKERNEL_DECL(QV_UKERNEL(ropc));
QI_F32_VBINARY_SIMD_OPS(EMU16_DECL)
#include "kernels/f32-vbinary/vbinary-simd.h"
#define EMU16_CONFIG(kind_, op_, opc_, ropc_) \
  {.op = QE_NAMED(op_), .opc = QE_NAMED(opc_), .ropc = QE_NAMED(ropc_), .kind = kind_},
static const qi_f32_vbinary_config emu16_configs[] = {QI_F32_VBINARY_SIMD_OPS(EMU16_CONFIG)};

static long long n_cases, n_outputs;

/* Whether the entry's kernels may flush denormals to zero (the header): NEON on 32-bit Arm. */
static bool flushes_denormals(const qi_f32_vbinary_config *cfg) {
#if defined(__arm__)
  return (cfg->features & QI_CPU_NEON) != 0;
#else
  return (void)cfg, false;
#endif
}
static double ftz(double v) { return fabs(v) < FLT_MIN ? copysign(0.0, v) : v; }

/* y = f(x0, x1) within the row's tolerance, or on a flushing entry its flushed form. */
static bool close_enough(const binary_row *r, bool flushes, float y, double x0, double x1) {
  const double want = r->f(x0, x1);
  if (ft_close(y, want, r->rtol > 0 ? r->rtol * fabs(want) + 0x1p-150 : 0)) return true;
  if (!flushes) return false;
  const double want_ftz = ftz(r->f(ftz(x0), ftz(x1)));
  return ft_close((float)ftz(y), want_ftz, r->rtol > 0 ? r->rtol * fabs(want_ftz) : 0);
}

static float draw(uint32_t *seed, float lo, float hi, bool is_signed, bool integer) {
  float v = ft_uniform(seed, lo, hi);
  if (integer) v = rintf(v);
  return is_signed && (ft_next(seed) & 1) ? -v : v;
}

/* The three kernels of the entry on a and b of length n (b[0] = c for the broadcast ones), out of place then in
 * place; mismatches added to *bad. */
static void run_kernels(const qi_f32_vbinary_config *cfg, const binary_row *r, size_t n, ft_buf *a, ft_buf *b,
                        ft_buf *y, float c, int *bad) {
  const qi_f32_vbinary_ukernel_fn fns[3] = {cfg->op, cfg->opc, cfg->ropc};
  const char *names[3] = {cfg->name_op, cfg->name_opc, cfg->name_ropc};
  const bool flushes = flushes_denormals(cfg);
  float as[FT_MAXN], b0 = b->p[0];
  memcpy(as, a->p, n * sizeof(float));
  for (int k = 0; k < 3; k++)
    for (int in_place = 0; in_place < 2; in_place++) {
      ft_buf *out = in_place ? a : y;
      if (k > 0) b->p[0] = c;
      ft_guard(out, n);
      fns[k](n, a->p, b->p, out->p);
      for (size_t i = 0; i < n; i++) {
        const double x0 = k == 2 ? c : as[i], x1 = k == 0 ? b->p[i] : k == 1 ? c : as[i];
        if (!close_enough(r, flushes, out->p[i], x0, x1))
          ft_mismatch(bad, names[k], r->what, n, i, out->p[i], r->f(x0, x1), r->rtol * fabs(r->f(x0, x1)));
      }
      if (!ft_guard_ok(out, n)) ft_outside(bad, names[k], r->what, n);
      memcpy(a->p, as, n * sizeof(float));
      b->p[0] = b0;
      n_cases++, n_outputs += (long long)n;
    }
}

static void test_entry(const qi_f32_vbinary_config *cfg) {
  ft_buf a = ft_alloc(FT_MAXN), b = ft_alloc(FT_MAXN), y = ft_alloc(FT_MAXN);
  const long long before = n_cases;
  uint32_t seed = 0x85ebca6bu ^ (uint32_t)cfg->kind;
  int bad = 0, tested = 0;
  for (size_t ri = 0; ri < NROWS; ri++) {
    const binary_row *r = &rows[ri];
    if (r->op != cfg->kind) continue;
    tested = 1;
    for (size_t si = 0; si < FT_NSIZES; si++) {
      const size_t n = ft_sizes[si];
      for (size_t i = 0, sa = 0, sb = 0; i < n; i++) {
        a.p[i] = i % 4 == 1 ? r->specials[sa++ % r->n_specials] : draw(&seed, r->a_lo, r->a_hi, r->a_signed, false);
        b.p[i] =
            i % 4 == 2 ? r->specials[sb++ % r->n_specials] : draw(&seed, r->b_lo, r->b_hi, r->b_signed, r->b_integer);
      }
      if (n == 0) b.p[0] = 1; /* the broadcast kernels read b[0] */
      run_kernels(cfg, r, n, &a, &b, &y, draw(&seed, r->b_lo, r->b_hi, r->b_signed, r->b_integer), &bad);
      for (size_t ci = 0; ci < r->n_cvals; ci++) run_kernels(cfg, r, n, &a, &b, &y, r->cvals[ci], &bad);
    }
  }
  CHECK_MSG(tested, "%s: no oracle for op %d", cfg->name_op, (int)cfg->kind);
  char names[256];
  snprintf(names, sizeof names, "%s, %s, %s", cfg->name_op, cfg->name_opc, cfg->name_ropc);
  ft_report(names, n_cases - before, bad + !tested);
  ft_free(&a), ft_free(&b), ft_free(&y);
}

int main(void) {
  size_t count;
  const qi_f32_vbinary_config *const *list = qi_f32_vbinary_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_f32_vbinary_config *cfg = list[i];
    const char *names[] = {cfg->name_op, cfg->name_opc, cfg->name_ropc};
    if (!kl_runnable_all(names, 3, cfg->features) || !KL_FIRST(&seen, cfg->op, cfg->name_op)) continue;
    test_entry(cfg);
  }
  for (size_t i = 0; i < sizeof emu16_configs / sizeof emu16_configs[0]; i++) test_entry(&emu16_configs[i]);
  printf("%lld cases, %lld outputs\n", n_cases, n_outputs);
  return TEST_SUMMARY();
}
