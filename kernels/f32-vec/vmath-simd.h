/* Transcendental functions on the f32 vector primitives of vec-avx2.h / vec-avx512f.h / vec-neon.h (include one
 * of them first): range reduction and polynomials, with FMA, correct at +-inf, NaN, overflow, underflow to
 * denormals and 0, and -0. The polynomials were fitted (weighted least squares, iterated towards minimax, in
 * double) to the relative error of each piece; docs/kernels.md lists the max ulp of every op built on them,
 * measured over all 2^32 inputs against libm in double.
 *
 * Nothing here depends on an ISA's out-of-range behaviour: the one float-to-int conversion (qv_cvt_qvi in
 * qv_exp_parts) sees an integer in [-159, 128] (x clamped first) or NaN, whose int result (x86 0x80000000, NEON
 * 0) only scales a NaN p; the integer shifts and adds act on bit patterns the same way everywhere, and every
 * special input (0, denormals, +-inf, NaN, negatives for log) is settled by a compare and blend. What is left to
 * the ISA is IEEE arithmetic with denormals (aarch64 NEON has them; armv7's NEON flushes them, which is why the
 * unary kernels are not built there, docs/kernels.md). */
#ifndef QI_F32_VMATH_SIMD_H
#define QI_F32_VMATH_SIMD_H

#define QV_SIGN_MASK qvi_as_qv(qvi_set1((int32_t)0x80000000))
static inline qv qv_abs(qv x) { return qv_andnot(QV_SIGN_MASK, x); }
/* |y| with the sign of x (y's sign bit must be clear) */
static inline qv qv_copysign_pos(qv y, qv x) { return qv_or(y, qv_and(x, QV_SIGN_MASK)); }

/* exp(x) = 2^n e^r, n = round(x / ln2), r = x - n ln2 in [-ln2/2, ln2/2] (ln2 in two parts, each product by FMA),
 * e^r = 1 + r + r^2 q(r), q of degree 4 (relative error 3e-9). 2^n is built in the exponent field as
 * 2^(n >> 1) * 2^(n - (n >> 1)), two normal factors even where e^x is denormal (rounded once by the second
 * product; 0 below x = -103.97) or overflows (x up to 89); x is clamped to [-110, 89] first, which keeps NaN.
 * qv_exp_parts returns the normal p 2^(n >> 1) and the second factor in *s2, so a caller can scale the result
 * before it turns denormal. */
static inline qv qv_exp_parts(qv x, qv *s2) {
  x = qv_min(qv_set1(89.0f), qv_max(qv_set1(-110.0f), x));
  const qv n = qv_round_nearest(qv_mul(x, qv_set1(1.44269504088896341f)));
  qv r = qv_fnma(n, qv_set1(0.693145751953125f), x);
  r = qv_fnma(n, qv_set1(1.42860682030941723e-6f), r);
  qv q = qv_set1(1.381460174e-03f);
  q = qv_fma(q, r, qv_set1(8.368715371e-03f));
  q = qv_fma(q, r, qv_set1(4.166838790e-02f));
  q = qv_fma(q, r, qv_set1(1.666652064e-01f));
  q = qv_fma(q, r, qv_set1(4.999999345e-01f));
  const qv p = qv_add(qv_fma(qv_mul(r, r), q, r), qv_set1(1.0f));
  const qvi ni = qv_cvt_qvi(n), n1 = qvi_srai(ni, 1), n2 = qvi_sub(ni, n1);
  const qv s1 = qvi_as_qv(qvi_slli(qvi_add(n1, qvi_set1(127)), 23));
  *s2 = qvi_as_qv(qvi_slli(qvi_add(n2, qvi_set1(127)), 23));
  return qv_mul(p, s1);
}

static inline qv qv_exp(qv x) {
  qv s2;
  const qv m = qv_exp_parts(x, &s2);
  return qv_mul(m, s2);
}

/* log(x) = e ln2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)) (denormals scaled by 2^23 first); with
 * f = m - 1 (exact) and s = f / (2 + f), log(m) = 2 atanh(s) = f - s (f - s^2 q(s^2)), q the atanh series
 * 2/3 + 2/5 s^2 + ... (|s| < 0.172: 5 terms), so the correction to the exact f is small. 0 -> -inf,
 * negative and NaN -> NaN, +inf -> +inf. */
static inline qv qv_log(qv x) {
  const qm tiny = qm_lt(x, qv_set1(1.17549435e-38f));
  const qv xs = qv_blend(tiny, x, qv_mul(x, qv_set1(8388608.0f)));
  const qvi bits = qv_as_qvi(xs);
  const qvi e = qvi_srai(qvi_sub(bits, qvi_set1(0x3f3504f3)), 23);
  const qv m = qvi_as_qv(qvi_sub(bits, qvi_slli(e, 23)));
  const qv ef = qv_sub(qvi_cvt_qv(e), qv_blend(tiny, qv_zero(), qv_set1(23.0f)));
  const qv f = qv_sub(m, qv_set1(1.0f));
  const qv s = qv_div(f, qv_add(f, qv_set1(2.0f)));
  const qv z = qv_mul(s, s);
  qv q = qv_set1(2.0f / 11);
  q = qv_fma(q, z, qv_set1(2.0f / 9));
  q = qv_fma(q, z, qv_set1(2.0f / 7));
  q = qv_fma(q, z, qv_set1(2.0f / 5));
  q = qv_fma(q, z, qv_set1(2.0f / 3));
  const qv corr = qv_mul(s, qv_fnma(z, q, f));                     /* s (f - s^2 q) */
  const qv lo = qv_fms(ef, qv_set1(-2.12194440e-4f), corr);        /* e ln2_lo - corr */
  qv y = qv_add(qv_fma(ef, qv_set1(0.693359375f), f), lo);         /* ln2_hi + ln2_lo = ln2 */
  y = qv_blend(qm_eq(x, qv_set1(__builtin_inff())), y, x);
  y = qv_blend(qm_eq(x, qv_zero()), y, qv_set1(-__builtin_inff()));
  return qv_blend(qm_nge(x, qv_zero()), y, qv_set1(__builtin_nanf("")));
}

/* tanh(x): |x| < 0.55: x + x^3 P(x^2) (degree 5, relative error 3e-11); otherwise 1 - 2 / (exp(2|x|) + 1), which
 * reaches 1 by itself (exp overflows to inf); the sign put back last (-0 stays -0, NaN stays NaN). */
static inline qv qv_tanh(qv x) {
  const qv a = qv_abs(x), z = qv_mul(a, a);
  qv p = qv_set1(2.395823660e-03f);
  p = qv_fma(p, z, qv_set1(-8.413958751e-03f));
  p = qv_fma(p, z, qv_set1(2.178282625e-02f));
  p = qv_fma(p, z, qv_set1(-5.395965034e-02f));
  p = qv_fma(p, z, qv_set1(1.333329370e-01f));
  p = qv_fma(p, z, qv_set1(-3.333333272e-01f));
  const qv small = qv_fma(qv_mul(a, z), p, a);
  const qv e = qv_exp(qv_add(a, a));
  const qv large = qv_sub(qv_set1(1.0f), qv_div(qv_set1(2.0f), qv_add(e, qv_set1(1.0f))));
  return qv_copysign_pos(qv_blend(qm_lt(a, qv_set1(0.55f)), large, small), x);
}

/* sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, e = exp(-|x|) <= 1: no overflow, one division. */
static inline qv qv_sigmoid(qv x) {
  const qv e = qv_exp(qv_sub(qv_zero(), qv_abs(x)));
  const qv num = qv_blend(qm_lt(x, qv_zero()), qv_set1(1.0f), e);
  return qv_div(num, qv_add(qv_set1(1.0f), e));
}

/* erf(a) for 0 <= a < 0.9: a P(a^2), degree 6 (relative error 3e-10). */
static inline qv qv_erf_small(qv a) {
  const qv z = qv_mul(a, a);
  qv p = qv_set1(8.513216455e-05f);
  p = qv_fma(p, z, qv_set1(-8.175669052e-04f));
  p = qv_fma(p, z, qv_set1(5.203862194e-03f));
  p = qv_fma(p, z, qv_set1(-2.686050995e-02f));
  p = qv_fma(p, z, qv_set1(1.128371507e-01f));
  p = qv_fma(p, z, qv_set1(-3.761263498e-01f));
  p = qv_fma(p, z, qv_set1(1.128379167e+00f));
  return qv_mul(a, p);
}

/* s erfc(a) for a = ah + al >= 0.9 (al a correction far below an ulp of ah, 0 when a is exact):
 * s R(u) exp(-a^2), R(a) = erfc(a) exp(a^2) as a polynomial of degree 9 in u = 1 / (1 + a) over [0.9, 10.6]
 * (relative error 8e-9; beyond 10.6 erfc underflows); a^2 = hi + lo exactly (FMA), exp(-hi - lo) taken as
 * exp(-hi) (1 - lo), so the rounding of a^2, up to 112, does not reach the result. The factor s is applied
 * before the exp, which may be denormal, so a denormal result is rounded once. a over 11 (inf included) is
 * taken as 11, where the result is 0 already. */
static inline qv qv_erfc_large_scaled(qv ah, qv al, qv s) {
  const qm far = qm_gt(ah, qv_set1(11.0f));
  ah = qv_blend(far, ah, qv_set1(11.0f));
  al = qv_blend(far, al, qv_zero());
  const qv hi = qv_mul(ah, ah);
  const qv lo = qv_fma(qv_add(ah, ah), al, qv_fms(ah, ah, hi));
  const qv e = qv_exp(qv_sub(qv_zero(), hi));
  const qv u = qv_div(qv_set1(1.0f), qv_add(qv_set1(1.0f), ah));
  qv p = qv_set1(1.193796542e+00f);
  p = qv_fma(p, u, qv_set1(-2.495702423e+00f));
  p = qv_fma(p, u, qv_set1(1.044214656e+00f));
  p = qv_fma(p, u, qv_set1(1.464771779e+00f));
  p = qv_fma(p, u, qv_set1(-1.458722338e+00f));
  p = qv_fma(p, u, qv_set1(-9.527824631e-02f));
  p = qv_fma(p, u, qv_set1(2.543579257e-01f));
  p = qv_fma(p, u, qv_set1(5.666569247e-01f));
  p = qv_fma(p, u, qv_set1(5.640685461e-01f));
  p = qv_fma(p, u, qv_set1(2.511583511e-06f));
  p = qv_mul(p, s);
  return qv_mul(qv_fnma(p, lo, p), e); /* s R (1 - lo) exp(-hi) */
}

/* erf(x): the small-argument polynomial below 0.9, 1 - erfc above (1 from 3.9 on); sign put back last. */
static inline qv qv_erf(qv x) {
  const qv a = qv_abs(x);
  const qv large = qv_sub(qv_set1(1.0f), qv_erfc_large_scaled(a, qv_zero(), qv_set1(1.0f)));
  return qv_copysign_pos(qv_blend(qm_lt(a, qv_set1(0.9f)), large, qv_erf_small(a)), x);
}

/* gelu(x) = x Phi(x), Phi(x) = (1 + erf(x / sqrt2)) / 2. With a = |x| / sqrt2 (kept as ah + al, so erfc's
 * exp(-a^2) sees it exactly) and L = Phi(-|x|) = (1 - erf(a)) / 2 below a = 0.9, erfc(a) / 2 above:
 * gelu(x) = x L for x < 0 (relative accuracy down to underflow: x / 2 enters erfc's scale factor) and x - x L
 * for x >= 0 (x itself from 10 on, where L < 2^-24, so +inf gives +inf). */
static inline qv qv_gelu(qv x) {
  const qv a = qv_abs(x), c_hi = qv_set1(0.707106769f), c_lo = qv_set1(1.21016175e-8f);
  const qv ah = qv_mul(a, c_hi);
  const qv al = qv_fma(a, c_lo, qv_fms(a, c_hi, ah));
  const qv half = qv_set1(0.5f);
  const qv xl_small = qv_mul(x, qv_fnma(half, qv_erf_small(ah), half));
  const qv xl_large = qv_erfc_large_scaled(ah, al, qv_mul(half, x));
  const qv xl = qv_blend(qm_lt(ah, qv_set1(0.9f)), xl_large, xl_small);
  const qv y = qv_blend(qm_lt(x, qv_zero()), qv_sub(x, xl), xl);
  return qv_blend(qm_gt(x, qv_set1(10.0f)), y, x);
}

/* gelu, tanh form: 0.5 x (1 + tanh(u)) = x sigmoid(v), v = 2u = x (k + c x^2), k = 2 sqrt(2/pi),
 * c = 0.044715 k. For x < 0 the relative error of sigmoid(v) is the absolute error of v, up to 100 in size, so v
 * is carried in two floats (vh + vl: the constants in two parts, x^2 and the products exact by FMA, the sum
 * k + c x^2 by two-sum) and exp(-|v|) taken as exp(-|vh|) (1 -+ vl). v is computed from x clamped to
 * [-20, 20], where sigmoid(v) is 0 or 1 already (and x^2 stays finite). For v < 0, x / (1 + e) multiplies exp's
 * normal part before its last factor, so a denormal result is rounded once. */
static inline qv qv_gelu_tanh(qv x_in) {
  const qv x = qv_min(qv_set1(20.0f), qv_max(qv_set1(-20.0f), x_in));
  const qv kh = qv_set1(1.59576916695f), kl = qv_set1(-4.53406805e-8f);
  const qv ch = qv_set1(7.13548139e-2f), cl = qv_set1(2.39883247e-9f);
  const qv x2h = qv_mul(x, x), x2l = qv_fms(x, x, x2h);
  const qv ph = qv_mul(ch, x2h);
  const qv pl = qv_add(qv_fms(ch, x2h, ph), qv_fma(ch, x2l, qv_mul(cl, x2h)));
  const qv th = qv_add(kh, ph), bb = qv_sub(th, kh);
  const qv tl = qv_add(qv_add(qv_sub(kh, qv_sub(th, bb)), qv_sub(ph, bb)), qv_add(kl, pl)); /* two-sum error */
  const qv vh = qv_mul(x, th);
  const qv vl = qv_fma(x, tl, qv_fms(x, th, vh));
  const qm neg = qm_lt(vh, qv_zero());
  qv s2;
  qv m = qv_exp_parts(qv_sub(qv_zero(), qv_abs(vh)), &s2);
  m = qv_fma(m, qv_blend(neg, qv_sub(qv_zero(), vl), vl), m);
  const qv q = qv_div(x_in, qv_fma(m, s2, qv_set1(1.0f))); /* x / (1 + e) */
  const qv y = qv_blend(neg, q, qv_mul(qv_mul(q, m), s2));
  /* below v = -110 (exp's clamp) x e^v underflows: x * 0 (NaN for -inf, as the scalar kernel) */
  return qv_blend(qm_lt(vh, qv_set1(-110.0f)), y, qv_mul(x_in, qv_zero()));
}

/* softplus(x) = max(x, 0) + log1p(exp(-|x|)); log1p(e) for e in [0, 1] as log(u) + (e - (u - 1)) / u with
 * u = 1 + e rounded (the second term restores what the rounding of u lost; log(1) = 0 leaves e for tiny e). */
static inline qv qv_softplus(qv x) {
  const qv e = qv_exp(qv_sub(qv_zero(), qv_abs(x)));
  const qv u = qv_add(qv_set1(1.0f), e);
  const qv l = qv_add(qv_log(u), qv_div(qv_sub(e, qv_sub(u, qv_set1(1.0f))), u));
  return qv_add(qv_max(x, qv_zero()), l);
}

#endif /* QI_F32_VMATH_SIMD_H */
