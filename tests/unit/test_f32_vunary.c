/* Tester of the f32 elementwise unary kernels (kernels/f32-vunary): every (op, kernel) entry of the family's list
 * (qi_f32_vunary_config_list) this CPU can run, the others reported as skipped, against an oracle written here in
 * double precision from the ONNX definition of the op (libm in double for the transcendental ones), at every
 * length of f32_tester.h, out of place and in place (y == x), with special inputs (signed zeros, infinities, NaN
 * where the result is defined, rounding ties, overflow and underflow) spread over each row, and no write outside
 * the row.
 *
 * Tolerances, |y - f(x)| <= rtol * |f(x)| + atol (and the same infinity, NaN for NaN):
 *   - exact (0, 0): abs, neg, floor, ceil, round, sign, relu, clamp, thresholded relu, whose results are inputs,
 *     parameters or integers, so any correct kernel gives them bit for bit;
 *   - rtol 1e-6 (about 8 ulp): one or two IEEE operations (sqrt, reciprocal, square, leaky relu, softsign, and
 *     hard sigmoid / hard swish with atol 1e-6 for the rounding of alpha * x + beta, up to 2.5 here, near a
 *     zero result);
 *   - rtol 1e-5 (about 80 ulp), against libm in double: the transcendental ones, room for the polynomial
 *     approximations a SIMD kernel uses; atol 1e-6 where the result crosses zero from inputs of magnitude up to
 *     10 (sin, cos, tan, gelu, elu-like ops: a float formula such as 1 + erf(x) or alpha * exp(x) - alpha cancels
 *     to an absolute error of a few 1e-7), atol 1e-7 for tanh, erf and log near their zeros, atol FLT_MIN where a
 *     result underflows (exp, sigmoid, softplus).
 *
 * The AVX-512 kernels' logic also runs here: vunary-simd.h is instantiated a third time on the 16-lane vector of
 * vec-emu16.h (portable C, the zmm width and tail masks: tails of 1..15 lanes), every SIMD op tested like a listed
 * kernel (not in the ulp sweep: the lanes compute as the AVX2 ones do). */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-vunary/vunary.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

typedef double (*oracle_fn)(double x, const qi_f32_unary_params *p);

static double o_abs(double x, const qi_f32_unary_params *p) { return (void)p, fabs(x); }
static double o_neg(double x, const qi_f32_unary_params *p) { return (void)p, -x; }
static double o_sqrt(double x, const qi_f32_unary_params *p) { return (void)p, sqrt(x); }
static double o_exp(double x, const qi_f32_unary_params *p) { return (void)p, exp(x); }
static double o_log(double x, const qi_f32_unary_params *p) { return (void)p, log(x); }
static double o_recip(double x, const qi_f32_unary_params *p) { return (void)p, 1.0 / x; }
static double o_floor(double x, const qi_f32_unary_params *p) { return (void)p, floor(x); }
static double o_ceil(double x, const qi_f32_unary_params *p) { return (void)p, ceil(x); }
static double o_round(double x, const qi_f32_unary_params *p) { return (void)p, rint(x); } /* halves to even */
/* ONNX Sign: -1, 0 or 1; the kernels keep the sign of a zero and a NaN. */
static double o_sign(double x, const qi_f32_unary_params *p) { return (void)p, x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }
/* NaN gives 0 (and clamp, hard sigmoid pass it): the comparisons of the scalar kernels, which qv_max / qv_min
 * (maxps / minps, NEON compare and select) repeat: b when either operand is NaN. */
static double o_relu(double x, const qi_f32_unary_params *p) { return (void)p, x > 0 ? x : 0.0; }
static double o_lrelu(double x, const qi_f32_unary_params *p) { return x < 0 ? x * p->alpha : x; }
/* min(max(x, min), max), as numpy.clip: min > max gives max, NaN passes */
static double o_clamp(double x, const qi_f32_unary_params *p) {
  const double v = x < p->min ? p->min : x;
  return v > p->max ? p->max : v;
}
static double o_sigmoid(double x, const qi_f32_unary_params *p) { return (void)p, 1.0 / (1.0 + exp(-x)); }
static double o_hardsigmoid(double x, const qi_f32_unary_params *p) {
  const double v = p->alpha * x + p->beta;
  return v < 0 ? 0.0 : (v > 1 ? 1.0 : v);
}
static double o_hardswish(double x, const qi_f32_unary_params *p) {
  const double v = x / 6 + 0.5;
  return (void)p, x * (v < 0 ? 0.0 : (v > 1 ? 1.0 : v));
}
static double o_tanh(double x, const qi_f32_unary_params *p) { return (void)p, tanh(x); }
static double o_erf(double x, const qi_f32_unary_params *p) { return (void)p, erf(x); }
static double o_gelu(double x, const qi_f32_unary_params *p) { return (void)p, 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double o_gelutanh(double x, const qi_f32_unary_params *p) {
  return (void)p, 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}
/* log(1 + e^x), in a form that does not overflow */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double o_softplus(double x, const qi_f32_unary_params *p) { return (void)p, softplus(x); }
static double o_softsign(double x, const qi_f32_unary_params *p) { return (void)p, x / (1 + fabs(x)); }
static double o_elu(double x, const qi_f32_unary_params *p) { return x < 0 ? p->alpha * expm1(x) : x; }
static double o_selu(double x, const qi_f32_unary_params *p) {
  return x > 0 ? p->gamma * x : p->gamma * p->alpha * expm1(x);
}
static double o_celu(double x, const qi_f32_unary_params *p) { return x > 0 ? x : p->alpha * expm1(x / p->alpha); }
static double o_thresholdedrelu(double x, const qi_f32_unary_params *p) { return x > p->alpha ? x : 0.0; }
static double o_mish(double x, const qi_f32_unary_params *p) { return (void)p, x * tanh(softplus(x)); }
static double o_sin(double x, const qi_f32_unary_params *p) { return (void)p, sin(x); }
static double o_cos(double x, const qi_f32_unary_params *p) { return (void)p, cos(x); }
static double o_tan(double x, const qi_f32_unary_params *p) { return (void)p, tan(x); }
static double o_sqr(double x, const qi_f32_unary_params *p) { return (void)p, x * x; }

#define MAX_SPECIALS 12
/* One op with one set of parameters: random inputs uniform in [lo, hi], every fourth one replaced by the next
 * special input. */
typedef struct unary_row {
  qi_vunary_op op;
  const char *what;
  oracle_fn f;
  float lo, hi;
  double rtol, atol;
  qi_f32_unary_params params;
  size_t n_specials;
  float specials[MAX_SPECIALS];
} unary_row;

#define ZEROS 0.0f, -0.0f
#define INFS INFINITY, -INFINITY
#define TIES 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 8388607.5f, -8388609.0f, 1e30f
#define DENORMS 1e-45f, -1e-45f, 1e-40f /* floor / ceil of a denormal: 0 or +-1 */
#define SPECIALS(...) sizeof((float[]){__VA_ARGS__}) / sizeof(float), {__VA_ARGS__}
#define EXACT 0.0, 0.0
#define NO_PARAMS {.alpha = 0}

static const unary_row rows[] = {
    {QI_VUNARY_ABS, "abs", o_abs, -10, 10, EXACT, NO_PARAMS, SPECIALS(ZEROS, INFS, NAN, FLT_MIN, -1e-45f)},
    {QI_VUNARY_NEG, "neg", o_neg, -10, 10, EXACT, NO_PARAMS, SPECIALS(ZEROS, INFS, NAN)},
    {QI_VUNARY_SQRT, "sqrt", o_sqrt, 0, 1e4f, 1e-6, 0, NO_PARAMS, SPECIALS(ZEROS, INFINITY, NAN, -1.0f, FLT_MIN, 4)},
    {QI_VUNARY_EXP, "exp", o_exp, -87, 88, 1e-5, FLT_MIN, NO_PARAMS, SPECIALS(ZEROS, INFS, NAN, -100, 88.7f, 89)},
    {QI_VUNARY_LOG, "log", o_log, 0, 100, 1e-5, 1e-7, NO_PARAMS,
     SPECIALS(1, ZEROS, -1, INFINITY, NAN, FLT_MIN, 1e-30f, 1.00000012f, 0.99999994f)},
    {QI_VUNARY_RECIPROCAL, "reciprocal", o_recip, -100, 100, 1e-6, 0, NO_PARAMS,
     SPECIALS(ZEROS, INFS, NAN, 3, FLT_MIN, 1e38f)},
    {QI_VUNARY_FLOOR, "floor", o_floor, -1000, 1000, EXACT, NO_PARAMS, SPECIALS(TIES, -0.0f, NAN)},
    {QI_VUNARY_FLOOR, "floor, denormals and infinities", o_floor, -2, 2, EXACT, NO_PARAMS, SPECIALS(DENORMS, INFS)},
    {QI_VUNARY_CEIL, "ceil", o_ceil, -1000, 1000, EXACT, NO_PARAMS, SPECIALS(TIES, -0.0f, NAN)},
    {QI_VUNARY_CEIL, "ceil, denormals and infinities", o_ceil, -2, 2, EXACT, NO_PARAMS, SPECIALS(DENORMS, INFS)},
    {QI_VUNARY_ROUND, "round", o_round, -1000, 1000, EXACT, NO_PARAMS, SPECIALS(TIES, -0.0f, NAN)},
    {QI_VUNARY_ROUND, "round, denormals and infinities", o_round, -2, 2, EXACT, NO_PARAMS, SPECIALS(DENORMS, INFS)},
    {QI_VUNARY_SIGN, "sign", o_sign, -10, 10, EXACT, NO_PARAMS, SPECIALS(ZEROS, INFS, NAN, 1e-45f, -1e-45f)},
    {QI_VUNARY_RELU, "relu", o_relu, -10, 10, EXACT, NO_PARAMS, SPECIALS(ZEROS, INFS, 1e-45f, -1e-45f, NAN)},
    {QI_VUNARY_LEAKY_RELU, "leaky relu alpha 0.01", o_lrelu, -100, 100, 1e-6, 0, {.alpha = 0.01f},
     SPECIALS(ZEROS, INFS, NAN)},
    {QI_VUNARY_LEAKY_RELU, "leaky relu alpha 1.5", o_lrelu, -100, 100, 1e-6, 0, {.alpha = 1.5f}, SPECIALS(ZEROS)},
    {QI_VUNARY_CLAMP, "clamp [-1.5, 2.25]", o_clamp, -10, 10, EXACT, {.min = -1.5f, .max = 2.25f},
     SPECIALS(ZEROS, INFS, NAN, -1.5f, 2.25f)},
    {QI_VUNARY_CLAMP, "clamp [3, 1]", o_clamp, -10, 10, EXACT, {.min = 3, .max = 1}, SPECIALS(ZEROS, NAN)},
    {QI_VUNARY_CLAMP, "clamp [-inf, 6]", o_clamp, -10, 10, EXACT, {.min = -INFINITY, .max = 6},
     SPECIALS(INFS, NAN)},
    {QI_VUNARY_SIGMOID, "sigmoid", o_sigmoid, -30, 30, 1e-5, FLT_MIN, NO_PARAMS, SPECIALS(ZEROS, INFS, -100, 100)},
    {QI_VUNARY_HARD_SIGMOID, "hard sigmoid 0.2, 0.5", o_hardsigmoid, -10, 10, 1e-6, 1e-6, {.alpha = 0.2f, .beta = 0.5f},
     SPECIALS(ZEROS, INFS, -2.5f, 2.5f, NAN)},
    {QI_VUNARY_HARD_SWISH, "hard swish", o_hardswish, -10, 10, 1e-6, 1e-6, NO_PARAMS,
     SPECIALS(ZEROS, INFINITY, -3, 3, NAN)},
    {QI_VUNARY_TANH, "tanh", o_tanh, -10, 10, 1e-5, 1e-7, NO_PARAMS, SPECIALS(ZEROS, INFS, 1e-20f, 20)},
    {QI_VUNARY_ERF, "erf", o_erf, -5, 5, 1e-5, 1e-7, NO_PARAMS, SPECIALS(ZEROS, INFS, 1e-20f)},
    {QI_VUNARY_GELU, "gelu", o_gelu, -10, 10, 1e-5, 1e-6, NO_PARAMS, SPECIALS(ZEROS, INFINITY, -20, 20)},
    {QI_VUNARY_GELU_TANH, "gelu (tanh)", o_gelutanh, -10, 10, 1e-5, 1e-6, NO_PARAMS,
     SPECIALS(ZEROS, INFINITY, -20, 20)},
    {QI_VUNARY_SOFTPLUS, "softplus", o_softplus, -20, 20, 1e-5, FLT_MIN, NO_PARAMS,
     SPECIALS(ZEROS, INFS, 80, -80, 100)},
    {QI_VUNARY_SOFTSIGN, "softsign", o_softsign, -100, 100, 1e-6, 0, NO_PARAMS, SPECIALS(ZEROS, 1e30f, -1e30f)},
    {QI_VUNARY_ELU, "elu alpha 1", o_elu, -20, 10, 1e-5, 1e-6, {.alpha = 1}, SPECIALS(ZEROS, INFS)},
    {QI_VUNARY_ELU, "elu alpha 0.5", o_elu, -20, 10, 1e-5, 1e-6, {.alpha = 0.5f}, SPECIALS(ZEROS, -1e-7f)},
    {QI_VUNARY_SELU, "selu", o_selu, -20, 10, 1e-5, 1e-6,
     {.alpha = 1.67326319217681884765625f, .gamma = 1.05070102214813232421875f}, SPECIALS(ZEROS, INFS, -1e-7f)},
    {QI_VUNARY_CELU, "celu alpha 1", o_celu, -20, 10, 1e-5, 1e-6, {.alpha = 1}, SPECIALS(ZEROS, INFS)},
    {QI_VUNARY_CELU, "celu alpha 2", o_celu, -20, 10, 1e-5, 1e-6, {.alpha = 2}, SPECIALS(ZEROS, -1e-7f)},
    {QI_VUNARY_THRESHOLDED_RELU, "thresholded relu alpha 1", o_thresholdedrelu, -5, 5, EXACT, {.alpha = 1},
     SPECIALS(ZEROS, INFS, 1, 1.00000012f, NAN)},
    {QI_VUNARY_THRESHOLDED_RELU, "thresholded relu alpha 0", o_thresholdedrelu, -5, 5, EXACT, {.alpha = 0},
     SPECIALS(ZEROS, 1e-45f)},
    {QI_VUNARY_MISH, "mish", o_mish, -20, 20, 1e-5, 1e-6, NO_PARAMS, SPECIALS(ZEROS, 80, -80)},
    {QI_VUNARY_SIN, "sin", o_sin, -10, 10, 1e-5, 1e-6, NO_PARAMS, SPECIALS(ZEROS, 3.14159274f, 1e-20f)},
    {QI_VUNARY_COS, "cos", o_cos, -10, 10, 1e-5, 1e-6, NO_PARAMS, SPECIALS(ZEROS, 1.57079637f, 3.14159274f)},
    {QI_VUNARY_TAN, "tan", o_tan, -4, 4, 1e-5, 1e-6, NO_PARAMS, SPECIALS(ZEROS, 1.57079637f, 1e-20f)},
    {QI_VUNARY_SQR, "square", o_sqr, -1000, 1000, 1e-6, 0, NO_PARAMS, SPECIALS(ZEROS, INFS, NAN, 1e20f)},
};
#define NROWS (sizeof rows / sizeof rows[0])

/* ---- vunary-simd.h on the emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#define EMU16_DECL(kind, op) QI_F32_VUNARY_UKERNEL_DECL(QV_UKERNEL(op));
QI_F32_VUNARY_SIMD_OPS(EMU16_DECL)
#include "kernels/f32-vunary/vunary-simd.h"
#define EMU16_CONFIG(kind_, op) {.ukernel = QV_UKERNEL(op), .name = QE_STR(QV_UKERNEL(op)), .kind = kind_},
static const qi_f32_vunary_config emu16_configs[] = {QI_F32_VUNARY_SIMD_OPS(EMU16_CONFIG)};

static long long n_cases, n_outputs;

/* One row length, out of place then in place; adds the mismatches to *bad. */
static void run_case(const qi_f32_vunary_config *cfg, const unary_row *r, size_t n, ft_buf *x, ft_buf *y,
                     uint32_t *seed, int *bad) {
  for (size_t i = 0, s = 0; i < n; i++)
    x->p[i] = i % 4 == 1 && r->n_specials ? r->specials[s++ % r->n_specials] : ft_uniform(seed, r->lo, r->hi);
  for (int in_place = 0; in_place < 2; in_place++) {
    ft_buf *out = in_place ? x : y;
    float xs[FT_MAXN];
    memcpy(xs, x->p, n * sizeof(float));
    ft_guard(out, n);
    cfg->ukernel(n, x->p, out->p, &r->params);
    for (size_t i = 0; i < n; i++) {
      const double want = r->f(xs[i], &r->params), tol = r->rtol * fabs(want) + r->atol;
      if (!ft_close(out->p[i], want, tol)) ft_mismatch(bad, cfg->name, r->what, n, i, out->p[i], want, tol);
    }
    if (!ft_guard_ok(out, n)) ft_outside(bad, cfg->name, r->what, n);
    if (in_place) memcpy(x->p, xs, n * sizeof(float));
    n_cases++, n_outputs += (long long)n;
  }
}

static void test_entry(const qi_f32_vunary_config *cfg) {
  ft_buf x = ft_alloc(FT_MAXN), y = ft_alloc(FT_MAXN);
  const long long before = n_cases;
  uint32_t seed = 0x9e3779b9u ^ (uint32_t)cfg->kind;
  int bad = 0, tested = 0;
  for (size_t ri = 0; ri < NROWS; ri++) {
    if (rows[ri].op != cfg->kind) continue;
    tested = 1;
    for (size_t si = 0; si < FT_NSIZES; si++) run_case(cfg, &rows[ri], ft_sizes[si], &x, &y, &seed, &bad);
  }
  CHECK_MSG(tested, "%s: no oracle for op %d", cfg->name, (int)cfg->kind);
  ft_report(cfg->name, n_cases - before, bad + !tested);
  ft_free(&x), ft_free(&y);
}

/* Max-ulp sweep of the SIMD kernels of the transcendental ops (the scalar ones are libm's) over float bit
 * patterns: every ULP_STRIDE-th of the 2^32 patterns and the special values below by default (every
 * QINFER_ULP_STRIDE-th with that variable: a denser sample where the full sweep is too slow, as under qemu), all
 * 2^32 with QINFER_FULL_ULP_SWEEP=1 (docs/testing.md; minutes per op). The error of y against the exact f(x) (libm in
 * double, in a form that does not cancel) is |y - f(x)| / ulp(f(x)), ulp(v) = 2^(floor(log2 |v|) - 23), 2^-149
 * below FLT_MIN, so a correctly rounded result scores <= 0.5; NaN must give NaN, an infinite float(f(x)) the
 * same infinity. Each op's bound is docs/kernels.md's (the max measured on the full sweep, rounded up), over the
 * whole float range. */
#define ULP_STRIDE 4099u
static double r_exp(double x) { return exp(x); }
static double r_log(double x) { return log(x); }
static double r_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double r_tanh(double x) { return tanh(x); }
static double r_erf(double x) { return erf(x); }
static double r_gelu(double x) { return x >= 0 ? 0.5 * x * (1 + erf(x / sqrt(2.0))) : 0.5 * x * erfc(-x / sqrt(2.0)); }
static double r_gelutanh(double x) { /* 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)): no cancellation for x < 0 */
  return x / (1 + exp(-2 * sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}
static double r_softplus(double x) { return softplus(x); }

typedef struct ulp_row {
  qi_vunary_op op;
  double (*f)(double x);
  double bound;
} ulp_row;
static const ulp_row ulp_rows[] = {
    {QI_VUNARY_EXP, r_exp, 2},
    {QI_VUNARY_LOG, r_log, 2},
    {QI_VUNARY_SIGMOID, r_sigmoid, 3},
    {QI_VUNARY_TANH, r_tanh, 2},
    {QI_VUNARY_ERF, r_erf, 3},
    {QI_VUNARY_GELU, r_gelu, 7},
    {QI_VUNARY_GELU_TANH, r_gelutanh, 4},
    {QI_VUNARY_SOFTPLUS, r_softplus, 3},
};
static const float ulp_specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MIN, -FLT_MIN, 1e-45f, -1e-45f,
                                     FLT_MAX, -FLT_MAX, 1, -1, 88.7228394f, 88.7228470f, -87.3365479f, -103.972084f,
                                     -103.9721f, 0.55f, 0.9f * 1.41421356f, -0.9f * 1.41421356f, 3.9f, -5, 20, -20};

static double ulp_error(float got, double ref) {
  if (isnan(ref)) return isnan(got) ? 0 : INFINITY;
  if (isnan(got)) return INFINITY;
  if (isinf((float)ref)) return got == (float)ref ? 0 : INFINITY;
  if (isinf(got)) return INFINITY;
  uint64_t bits;
  memcpy(&bits, &ref, sizeof bits);
  const int e = (int)((bits >> 52) & 0x7ff) - 1023; /* floor(log2 |ref|) */
  const uint64_t ulp_bits = (uint64_t)((e < -126 ? -149 : e - 23) + 1023) << 52;
  double ulp;
  memcpy(&ulp, &ulp_bits, sizeof ulp);
  return fabs((double)got - ref) / ulp;
}

typedef struct ulp_max {
  double err;
  float at;
} ulp_max;

/* One thread's share of a sweep: the patterns begin, begin + stride, ... below end. */
typedef struct ulp_part {
  const qi_f32_vunary_config *cfg;
  const ulp_row *r;
  uint64_t begin, end, stride;
  ulp_max max;
  long long count;
} ulp_part;

/* Runs the kernel on x[0..n) and folds the errors into the part's maximum. */
static void ulp_batch(ulp_part *part, const float *x, float *y, size_t n) {
  const qi_f32_unary_params params = {0};
  part->cfg->ukernel(n, x, y, &params);
  for (size_t i = 0; i < n; i++) {
    const double err = ulp_error(y[i], part->r->f(x[i]));
    if (err > part->max.err) part->max.err = err, part->max.at = x[i];
  }
  part->count += (long long)n;
}

static void *ulp_run(void *arg) {
  enum { BATCH = 4096 };
  ulp_part *part = arg;
  float x[BATCH], y[BATCH];
  size_t n = 0;
  for (uint64_t bits = part->begin; bits < part->end; bits += part->stride) {
    const uint32_t b = (uint32_t)bits;
    memcpy(&x[n++], &b, sizeof b);
    if (n == BATCH) ulp_batch(part, x, y, n), n = 0;
  }
  if (n) ulp_batch(part, x, y, n);
  return NULL;
}

static void ulp_fold(ulp_max *into, const ulp_max *m) {
  if (m->err > into->err) *into = *m;
}

/* The sweep of one kernel: `threads` parts of the 2^32 patterns (the full sweep takes minutes per op), then the
 * special values. */
static void ulp_sweep(const qi_f32_vunary_config *cfg, const ulp_row *r, uint64_t stride, int threads) {
  const bool full = stride == 1;
  enum { MAX_THREADS = 16 };
  ulp_part parts[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  const uint64_t total = 1ull << 32;
  const uint64_t per = ((total + stride - 1) / stride + (uint64_t)threads - 1) / (uint64_t)threads * stride;
  for (int t = 0; t < threads; t++) {
    const uint64_t begin = per * (uint64_t)t;
    parts[t] = (ulp_part){cfg, r, begin, begin + per < total ? begin + per : total, stride, {0, 0}, 0};
    if (t > 0 && pthread_create(&tids[t], NULL, ulp_run, &parts[t]) != 0) ulp_run(&parts[t]), tids[t] = 0;
  }
  ulp_run(&parts[0]);
  ulp_part all = {cfg, r, 0, 0, 1, {0, 0}, 0};
  float x[sizeof ulp_specials / sizeof ulp_specials[0]], y[sizeof x / sizeof x[0]];
  memcpy(x, ulp_specials, sizeof x);
  ulp_batch(&all, x, y, sizeof x / sizeof x[0]);
  for (int t = 0; t < threads; t++) {
    if (t > 0 && tids[t]) pthread_join(tids[t], NULL);
    ulp_fold(&all.max, &parts[t].max), all.count += parts[t].count;
  }
  CHECK_MSG(all.max.err <= r->bound, "%s: %.3f ulp at x = %.9g, bound %.1f", cfg->name, all.max.err,
            (double)all.max.at, r->bound);
  char how[64];
  snprintf(how, sizeof how, full ? "all 2^32 patterns" : "every %lluth pattern + specials", (unsigned long long)stride);
  printf("%s: ulp sweep of %lld inputs (%s): max %.3f ulp at x = %.9g (bound %.1f)\n", cfg->name, all.count, how,
         all.max.err, (double)all.max.at, r->bound);
  fflush(stdout);
}

/* Whether the op stem of a kernel name (qi_f32_<stem>_ukernel__...) is one of the comma-separated stems. */
static bool ulp_op_listed(const char *stems, const char *name) {
  const char *stem = name + strlen("qi_f32_"), *end = strstr(stem, "_ukernel");
  const size_t len = end ? (size_t)(end - stem) : strlen(stem);
  for (const char *p = stems; *p;) {
    const size_t tok = strcspn(p, ",");
    if (tok == len && strncmp(p, stem, len) == 0) return true;
    p += tok + (p[tok] == ',');
  }
  return false;
}

static void ulp_sweeps(const qi_f32_vunary_config *const *list, size_t count) {
  const char *env = getenv("QINFER_FULL_ULP_SWEEP");
  /* "1": every op; otherwise a comma-separated list of op stems ("vgelu,verf") to sweep in full, the others not */
  const bool full = env && *env && strcmp(env, "0") != 0;
  const bool all_ops = !full || strcmp(env, "1") == 0;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const char *stride_env = getenv("QINFER_ULP_STRIDE");
  const unsigned long long sample = stride_env && *stride_env ? strtoull(stride_env, NULL, 10) : 0;
  const uint64_t stride = full ? 1 : sample > 0 ? sample : ULP_STRIDE;
  const int threads = full ? (int)(cpus < 1 ? 1 : cpus > 16 ? 16 : cpus) : 1;
  for (size_t i = 0; i < count; i++) {
    if (list[i]->features == 0 || qi_cpu_missing(list[i]->features)) continue; /* scalar: libm; skipped above */
    if (!all_ops && !ulp_op_listed(env, list[i]->name)) continue;
    for (size_t ri = 0; ri < sizeof ulp_rows / sizeof ulp_rows[0]; ri++)
      if (ulp_rows[ri].op == list[i]->kind) ulp_sweep(list[i], &ulp_rows[ri], stride, threads);
  }
}

int main(void) {
  size_t count;
  const qi_f32_vunary_config *const *list = qi_f32_vunary_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    if (!kl_runnable(list[i]->name, list[i]->features) || !KL_FIRST(&seen, list[i]->ukernel, list[i]->name))
      continue;
    test_entry(list[i]);
  }
  for (size_t i = 0; i < sizeof emu16_configs / sizeof emu16_configs[0]; i++) test_entry(&emu16_configs[i]);
  printf("%lld cases, %lld outputs\n", n_cases, n_outputs);
  ulp_sweeps(list, count);
  return TEST_SUMMARY();
}
