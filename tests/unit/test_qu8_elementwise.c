/* The 8-bit elementwise kernels (kernels/qu8-quantize, qu8-vadd, qu8-vmul, qu8-lut): every kernel of each
 * family's list this CPU can run (the others reported as skipped), against naive oracles written here (exact:
 * tolerance 0), uint8 and int8, every length 0..40 (the tails of 16-, 8- and 4-lane steps) and longer ones,
 * pointers 0..3 bytes (or floats) off 16-byte alignment, in place where the op allows it (add, mul, lookup).
 * The add and mul kernels run on all 65536 input pairs per formula, type and scale set; the add kernel is also
 * checked to be within one step of the real-valued result round_half_even((DQ(a) + DQ(b)) / y_scale) + y_zp
 * there, for ordinary and extreme scales (down to denormal ones, which 32-bit NEON would flush to zero). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-lut/qu8-lut.h"
#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/qu8-vadd/qu8-vadd.h"
#include "kernels/qu8-vmul/qu8-vmul.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static const size_t sizes[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,  14,  15,   16,  17,
                                18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,  32,  33,   34,  35,
                                36, 37, 38, 39, 40, 47, 48, 63, 64, 100, 255, 1000, 4099};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define MAXN 4099
/* Offsets (elements) from 16-byte alignment of the first input, the second input and the output for the
 * ni-th size: they cycle through 0..3 at different paces, so every size meets several of them. */
#define OFF_A(ni) ((ni) % 4)
#define OFF_B(ni) (((ni) / 2 + 1) % 4)
#define OFF_Y(ni) (((ni) / 4 + 2) % 4)

static uint32_t rng = 12345u;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static float frand(float lo, float hi) { return lo + (hi - lo) * (float)(next() >> 8) / 16777216.0f; }

static int32_t clampi(double v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : (int32_t)v; }
/* stored byte of value v of a uint8 / int8 tensor */
static uint8_t byte_of(int32_t v) { return (uint8_t)(v & 0xff); }
static int32_t value_of(uint8_t b, int s8) { return s8 ? (int32_t)(int8_t)b : (int32_t)b; }

/* The output range of the k-th case of a test around zero point zp: the whole type, or for odd k a narrower one
 * (a fused Relu / Clip), still holding zp. */
static void out_range(size_t k, int s8, int32_t zp, int32_t *qmin, int32_t *qmax) {
  const int32_t lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
  *qmin = k % 2 && zp - 40 > lo ? zp - 40 : lo;
  *qmax = k % 2 && zp + 50 < hi ? zp + 50 : hi;
}

/* ---- quantize / dequantize ---- */

static int32_t quantize_oracle(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float q = x / scale; /* ONNX: x / y_scale in float, round half to even, + zp, saturate */
  if (isnan(q)) return zp;
  return clampi(rint((double)q) + zp, qmin, qmax);
}

/* An input for quantize at scale `scale` with zero point zp in [qmin, qmax]: ordinary values, ties, values at
 * and past the saturation bounds, huge ones (beyond 2^22 and int32 after the division), infinities, NaN,
 * signed zeros and denormals. */
static float quantize_input(float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  switch (next() % 12) {
    case 0: return ((float)(int32_t)(next() % 600) - 300.0f + 0.5f) * scale; /* ties */
    case 1: return (next() & 1) ? INFINITY : -INFINITY;
    case 2: return (next() & 1) ? NAN : -0.0f;
    case 3: return ((float)((next() & 1) ? qmax - zp : qmin - zp) + (float)(int32_t)(next() % 5) * 0.25f - 0.5f) *
                   scale; /* around the bounds, ties included */
    case 4: return ((next() & 1) ? 1.0f : -1.0f) * ldexpf(frand(1.0f, 2.0f), 22 + (int)(next() % 10)) * scale;
    case 5: {
      static const float huge[] = {FLT_MAX, -FLT_MAX, 1e30f, -1e30f, 3e9f, -3e9f};
      return huge[next() % 6];
    }
    case 6: return (next() & 1) ? 1e-40f : -FLT_MIN; /* a denormal, the smallest normal */
    default: return frand(-300.0f, 300.0f) * scale;
  }
}

static void test_quantize(const qi_qu8_quantize_config *c) {
  static _Alignas(16) float x[MAXN + 4], yf[MAXN + 4];
  static _Alignas(16) uint8_t y[MAXN + 5], q[MAXN + 4];
  /* denormal, below 2^-100 and huge scales too: 32-bit NEON would flush the first two's products to zero */
  static const float scales[] = {1.0f, 0.5f, 0.0078125f, 0.1f, 0.0123f, 3.0f, 1e-6f, 1e6f, 1e-40f, 8e-34f, 1e30f};
  int bad = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++)
      for (size_t ni = 0; ni < NSIZES; ni++) {
        const size_t n = sizes[ni];
        const float scale = scales[si];
        const int32_t zp = (s8 ? -128 : 0) + (int32_t)(next() % 256);
        int32_t qmin, qmax;
        out_range(ni, s8, zp, &qmin, &qmax);
        float *px = x + OFF_A(ni), *pyf = yf + OFF_Y(ni);
        uint8_t *py = y + OFF_Y(ni), *pq = q + OFF_A(ni);
        for (size_t i = 0; i < n; i++) px[i] = quantize_input(scale, zp, qmin, qmax);
        py[n] = 0xa5;
        const qi_qu8_quantize_params p = c->init_params(c->x_domain, scale, zp, qmin, qmax, s8);
        c->quantize(n, px, py, &p);
        for (size_t i = 0; i < n && bad < 5; i++) {
          const uint8_t want = byte_of(quantize_oracle(px[i], scale, zp, qmin, qmax));
          if (py[i] != want) {
            bad++;
            CHECK_MSG(0, "%s n=%zu %s scale=%g zp=%d range [%d, %d]: x[%zu]=%.9g -> %d, oracle %d", c->quantize_name,
                      n, s8 ? "int8" : "uint8", (double)scale, zp, qmin, qmax, i, (double)px[i], value_of(py[i], s8),
                      value_of(want, s8));
          }
        }
        CHECK_MSG(py[n] == 0xa5, "%s wrote past n=%zu", c->quantize_name, n);
        /* dequantize: random bytes */
        for (size_t i = 0; i < n; i++) pq[i] = (uint8_t)next();
        memcpy(&pyf[n], &(float){-1.0f}, sizeof(float));
        c->dequantize(n, pq, pyf, &p);
        for (size_t i = 0; i < n && bad < 5; i++) {
          const float want = (float)(value_of(pq[i], s8) - zp) * scale;
          if (memcmp(&pyf[i], &want, sizeof want) != 0) {
            bad++;
            CHECK_MSG(0, "%s n=%zu %s scale=%g zp=%d: q[%zu]=%d -> %.9g, oracle %.9g", c->dequantize_name, n,
                      s8 ? "int8" : "uint8", (double)scale, zp, i, value_of(pq[i], s8), (double)pyf[i],
                      (double)want);
          }
        }
        CHECK_MSG(pyf[n] == -1.0f, "%s wrote past n=%zu", c->dequantize_name, n);
      }
  CHECK(bad == 0);
}

/* ---- add and mul at every size ---- */

/* A binary byte kernel pair under test: run(ctx, n, a, b, y, broadcast) calls the vector kernel (broadcast 0)
 * or the one that reads b[0] for every element; oracle(ctx, a, b, broadcast) is one element's expected value. */
typedef struct binary_case {
  const void *ctx;
  const char *names[2]; /* the vector and the broadcast kernel */
  int s8;
  void (*run)(const void *ctx, size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, int broadcast);
  int32_t (*oracle)(const void *ctx, int32_t a, int32_t b, int broadcast);
} binary_case;

/* Every size, random bytes, inputs and output off alignment (OFF_A, OFF_B, OFF_Y), out of place and in place
 * (y == a; for the vector form y == b at odd sizes), both forms. Returns the number of mismatches. */
static int check_sizes(const binary_case *bc) {
  static _Alignas(16) uint8_t a[MAXN + 4], b[MAXN + 4], y[MAXN + 5], want[MAXN], a0[MAXN], b0[MAXN];
  int bad = 0;
  for (size_t ni = 0; ni < NSIZES; ni++)
    for (int bcast = 0; bcast < 2; bcast++)
      for (int inplace = 0; inplace < 2; inplace++) {
        const size_t n = sizes[ni];
        uint8_t *pa = a + OFF_A(ni), *pb = b + OFF_B(ni);
        uint8_t *py = !inplace ? y + OFF_Y(ni) : !bcast && n % 2 ? pb : pa;
        for (size_t i = 0; i < n; i++) pa[i] = (uint8_t)next(), pb[i] = (uint8_t)next();
        pb[0] = (uint8_t)next(); /* the broadcast operand, also at n = 0 */
        for (size_t i = 0; i < n; i++)
          want[i] = byte_of(bc->oracle(bc->ctx, value_of(pa[i], bc->s8), value_of(pb[bcast ? 0 : i], bc->s8), bcast));
        memcpy(a0, pa, n), memcpy(b0, pb, n);
        if (!inplace) py[n] = 0x5a;
        bc->run(bc->ctx, n, pa, pb, py, bcast);
        if (!inplace) CHECK_MSG(py[n] == 0x5a, "%s wrote past n=%zu", bc->names[bcast], n);
        for (size_t i = 0; i < n; i++)
          if (py[i] != want[i] && bad++ < 5)
            CHECK_MSG(0, "%s n=%zu %s%s, offsets %d %d %d: a[%zu]=%d b=%d -> %d, oracle %d", bc->names[bcast], n,
                      bc->s8 ? "int8" : "uint8", inplace ? " in place" : "", (int)OFF_A(ni), (int)OFF_B(ni),
                      (int)OFF_Y(ni), i, value_of(a0[i], bc->s8), value_of(b0[bcast ? 0 : i], bc->s8),
                      value_of(py[i], bc->s8), value_of(want[i], bc->s8));
      }
  return bad;
}

/* ---- add ---- */

/* The two documented formulas written out from the scales (ONNX Runtime's QLinearAdd kernel, and its float
 * DequantizeLinear -> Add -> QuantizeLinear path), independent of the params struct's precomputation. */
static int32_t add_oracle(int32_t a, int32_t b, float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy,
                          int32_t qmin, int32_t qmax, int float_path, int b_broadcast) {
  float v;
  int32_t zp = 0;
  if (float_path) {
    const float da = (float)(a - za) * sa, db = (float)(b - zb) * sb;
    const float sum = da + db;
    v = sum / sy;
    zp = zy;
  } else {
    const float ra = sa / sy, rb = sb / sy;
    const float pb = rb * (float)zb;
    float fixed = (float)zy - fmaf(ra, (float)za, pb);
    if (b_broadcast) {
      const float bterm = (float)b * rb;
      fixed = fixed + bterm;
      v = fmaf((float)a, ra, fixed);
    } else {
      v = fmaf((float)a, ra, fmaf((float)b, rb, fixed));
    }
  }
  return clampi(rint((double)v) + zp, qmin, qmax);
}

/* The exact real-valued result, rounded half to even. */
static int32_t add_real(int32_t a, int32_t b, float sa, int32_t za, float sb, int32_t zb, float sy, int32_t zy,
                        int32_t qmin, int32_t qmax) {
  const double v = ((double)sa * (a - za) + (double)sb * (b - zb)) / (double)sy;
  return clampi(rint(v) + zy, qmin, qmax);
}

typedef struct scale3 {
  float sa, sb, sy;
} scale3;

static const scale3 add_scales[] = {
    {1.0f, 1.0f, 1.0f},      {0.5f, 0.25f, 0.75f},   {0.02f, 0.03f, 0.05f}, {0.0123f, 0.0456f, 0.0789f},
    {1.0f, 1.0f, 2048.0f},   {1e-6f, 1.0f, 1.0f},    {1.0f, 3e-9f, 0.7f},   {100.0f, 0.01f, 1.0f},
    {2000.0f, 1.0f, 1.0f},   {1.0f, 1500.0f, 0.9f},  {0.1f, 0.1f, 0.1f},    {1.0f / 3, 1.0f / 7, 1.0f / 11},
    {7.0f, 7.0f, 0.0043f},   {0.003f, 0.004f, 100.0f},  {1e-20f, 1e-20f, 1.0f}, /* mul: a denormal scale */
};

/* Extra add scale sets (not mul's: their products underflow): denormal input scales, whose products 32-bit NEON
 * would flush to zero, and ratios below 2^-100. */
static const scale3 add_tiny_scales[] = {{1e-39f, 1.5e-39f, 2e-39f}, {1e-35f, 1.0f, 1e4f}};
#define N_ADD_SCALES (sizeof add_scales / sizeof add_scales[0] + sizeof add_tiny_scales / sizeof add_tiny_scales[0])
static scale3 add_scale(size_t k) {
  const size_t n = sizeof add_scales / sizeof add_scales[0];
  return k < n ? add_scales[k] : add_tiny_scales[k - n];
}

typedef struct add_case {
  const qi_qu8_vadd_config *c;
  const qi_qu8_add_params *p;
  scale3 sc;
  int32_t za, zb, zy, qmin, qmax;
  int fp;
} add_case;

static void add_run(const void *ctx, size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, int broadcast) {
  const add_case *ac = ctx;
  (broadcast ? ac->c->vaddc : ac->c->vadd)(n, a, b, y, ac->p);
}

static int32_t add_case_oracle(const void *ctx, int32_t a, int32_t b, int broadcast) {
  const add_case *ac = ctx;
  return add_oracle(a, b, ac->sc.sa, ac->za, ac->sc.sb, ac->zb, ac->sc.sy, ac->zy, ac->qmin, ac->qmax, ac->fp,
                    broadcast);
}

/* uint8 scales and zero points (from a search over random ones) where every fused multiply-add of the fused
 * formula matters: without it the formula gives other results on some input pairs, which this counts, so a
 * kernel that leaves one out (or fuses the broadcast form's b * rb + fixed) fails here. */
static int check_fused(const qi_qu8_vadd_config *c) {
  static uint8_t a[65536], b[65536], y[65536], yc[65536];
  const float sa = 0.0562590025f, sb = 0.0871609971f, sy = 0.0643980056f;
  const int32_t za = 90, zb = 249, zy = 214;
  const float ra = sa / sy, rb = sb / sy, fixed = (float)zy - fmaf(ra, (float)za, rb * (float)zb);
  qi_qu8_add_params p;
  c->init_params(&p, sa, za, sb, zb, sy, zy, 0, 255, 0, 0, 0);
  for (int i = 0; i < 65536; i++) a[i] = (uint8_t)i, b[i] = (uint8_t)(i >> 8);
  c->vadd(65536, a, b, y, &p);
  for (int i = 0; i < 65536; i += 256) c->vaddc(256, a + i, b + i, yc + i, &p); /* b[i]: that row's b */
  int bad = 0, outer = 0, inner = 0, bcast = 0;
  for (int i = 0; i < 65536; i++) {
    const int32_t want = add_oracle(a[i], b[i], sa, za, sb, zb, sy, zy, 0, 255, 0, 0);
    const int32_t want_c = add_oracle(a[i], b[i], sa, za, sb, zb, sy, zy, 0, 255, 0, 1);
    if ((y[i] != want || yc[i] != want_c) && bad++ < 5)
      CHECK_MSG(0, "%s / %s, fused-formula scales: a=%d b=%d -> %d / %d, oracle %d / %d", c->vadd_name, c->vaddc_name,
                a[i], b[i], y[i], yc[i], want, want_c);
    const float fa = (float)a[i], fb = (float)b[i], prod_a = fa * ra, prod_b = fb * rb;
    outer += clampi(rint((double)(prod_a + fmaf(fb, rb, fixed))), 0, 255) != want;
    inner += clampi(rint((double)fmaf(fa, ra, prod_b + fixed)), 0, 255) != want;
    bcast += clampi(rint((double)(prod_a + (fixed + prod_b))), 0, 255) != want_c;
  }
  CHECK_MSG(outer > 0 && inner > 0 && bcast > 0, "the fused-formula scales no longer tell fused from unfused: %d %d %d",
            outer, inner, bcast);
  return bad;
}

static void test_add(const qi_qu8_vadd_config *c) {
  static uint8_t a[65536], b[65536], y[65536 + 1];
  int bad = 0, off_real = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t k = 0; k < N_ADD_SCALES; k++) {
      const scale3 sc = add_scale(k);
      const int32_t qmin = s8 ? -128 : 0, qmax = s8 ? 127 : 255;
      const int32_t za = qmin + (int32_t)(next() % 256), zb = qmin + (int32_t)(next() % 256);
      const int32_t zy = qmin + (int32_t)(next() % 256);
      for (int fp = 0; fp < 2; fp++) {
      qi_qu8_add_params p;
      c->init_params(&p, sc.sa, za, sc.sb, zb, sc.sy, zy, qmin, qmax, s8, fp, 0);
      /* every pair of bytes */
      for (int i = 0; i < 65536; i++) a[i] = (uint8_t)(i >> 8), b[i] = (uint8_t)i;
      y[65536] = 0x5a;
      c->vadd(65536, a, b, y, &p);
      CHECK(y[65536] == 0x5a);
      for (int i = 0; i < 65536; i++) {
        const int32_t va = value_of(a[i], s8), vb = value_of(b[i], s8), got = value_of(y[i], s8);
        const int32_t want = add_oracle(va, vb, sc.sa, za, sc.sb, zb, sc.sy, zy, qmin, qmax, fp, 0);
        if (got != want && bad++ < 5)
          CHECK_MSG(0, "%s %s %s formula, scales %g %g %g zps %d %d %d: a=%d b=%d -> %d, oracle %d", c->vadd_name,
                    s8 ? "int8" : "uint8", fp ? "float" : "fused", (double)sc.sa, (double)sc.sb, (double)sc.sy, za, zb,
                    zy, va, vb, got, want);
        const int32_t real = add_real(va, vb, sc.sa, za, sc.sb, zb, sc.sy, zy, qmin, qmax);
        if (abs(got - real) > 1 && off_real++ < 5)
          CHECK_MSG(0, "%s %s scales %g %g %g: a=%d b=%d -> %d, real-valued %d: more than one step", c->vadd_name,
                    s8 ? "int8" : "uint8", (double)sc.sa, (double)sc.sb, (double)sc.sy, va, vb, got, real);
      }
      const add_case ac = {c, &p, sc, za, zb, zy, qmin, qmax, fp};
      bad += check_sizes(&(binary_case){&ac, {c->vadd_name, c->vaddc_name}, s8, add_run, add_case_oracle});
      }
    }
  /* a narrowed output range (fused clamp) */
  qi_qu8_add_params p;
  c->init_params(&p, 0.05f, 10, 0.07f, 200, 0.1f, 100, 100, 180, 0, 0, 0);
  for (int i = 0; i < 65536; i++) a[i] = (uint8_t)(i >> 8), b[i] = (uint8_t)i;
  c->vadd(65536, a, b, y, &p);
  for (int i = 0; i < 65536; i++)
    if ((y[i] < 100 || y[i] > 180 || y[i] != add_oracle(a[i], b[i], 0.05f, 10, 0.07f, 200, 0.1f, 100, 100, 180, 0, 0)) &&
        bad++ < 5)
      CHECK_MSG(0, "%s clamp [100, 180]: a=%d b=%d -> %d", c->vadd_name, a[i], b[i], y[i]);
  bad += check_fused(c);
  CHECK(bad == 0);
  CHECK(off_real == 0);
}

/* ---- mul ---- */

static int32_t mul_oracle(int32_t a, int32_t b, int32_t za, int32_t zb, float scale, int32_t zy, int32_t qmin,
                          int32_t qmax) {
  const int32_t acc = (a - za) * (b - zb);
  const float v = (float)acc * scale; /* one float multiply, then round half to even */
  return clampi(rint((double)v) + zy, qmin, qmax);
}

typedef struct mul_case {
  const qi_qu8_vmul_config *c;
  const qi_qu8_mul_params *p;
  int32_t za, zb;
  float scale;
  int32_t zy, qmin, qmax;
} mul_case;

static void mul_run(const void *ctx, size_t n, const uint8_t *a, const uint8_t *b, uint8_t *y, int broadcast) {
  const mul_case *mc = ctx;
  (broadcast ? mc->c->vmulc : mc->c->vmul)(n, a, b, y, mc->p);
}

static int32_t mul_case_oracle(const void *ctx, int32_t a, int32_t b, int broadcast) {
  const mul_case *mc = ctx;
  (void)broadcast;
  return mul_oracle(a, b, mc->za, mc->zb, mc->scale, mc->zy, mc->qmin, mc->qmax);
}

static void test_mul(const qi_qu8_vmul_config *c) {
  static uint8_t a[65536], b[65536], y[65536 + 1];
  int bad = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t k = 0; k < sizeof add_scales / sizeof add_scales[0]; k++) {
      const scale3 sc = add_scales[k];
      const int32_t tmin = s8 ? -128 : 0;
      const int32_t za = tmin + (int32_t)(next() % 256), zb = tmin + (int32_t)(next() % 256);
      const int32_t zy = tmin + (int32_t)(next() % 256);
      int32_t qmin, qmax;
      out_range(k, s8, zy, &qmin, &qmax);
      qi_qu8_mul_params p;
      c->init_params(&p, c->x_domain, sc.sa, za, sc.sb, zb, sc.sy, zy, qmin, qmax, s8);
      const float scale = (sc.sa * sc.sb) / sc.sy;
      for (int i = 0; i < 65536; i++) a[i] = (uint8_t)(i >> 8), b[i] = (uint8_t)i;
      y[65536] = 0x5a;
      c->vmul(65536, a, b, y, &p);
      CHECK(y[65536] == 0x5a);
      for (int i = 0; i < 65536; i++) {
        const int32_t va = value_of(a[i], s8), vb = value_of(b[i], s8), got = value_of(y[i], s8);
        const int32_t want = mul_oracle(va, vb, za, zb, scale, zy, qmin, qmax);
        if (got != want && bad++ < 5)
          CHECK_MSG(0, "%s %s scale %g zps %d %d %d range [%d, %d]: a=%d b=%d acc=%d -> %d, oracle %d", c->vmul_name,
                    s8 ? "int8" : "uint8", (double)scale, za, zb, zy, qmin, qmax, va, vb, (va - za) * (vb - zb), got,
                    want);
      }
      const mul_case mc = {c, &p, za, zb, scale, zy, qmin, qmax};
      bad += check_sizes(&(binary_case){&mc, {c->vmul_name, c->vmulc_name}, s8, mul_run, mul_case_oracle});
    }
  CHECK(bad == 0);
}

/* ---- lookup ---- */

static void test_lut(const qi_qu8_lut_config *c) {
  static _Alignas(16) uint8_t x[MAXN + 4], y[MAXN + 5], x0[MAXN], table[256];
  int bad = 0;
  for (int rep = 0; rep < 4; rep++) {
    for (int i = 0; i < 256; i++) table[i] = (uint8_t)(rep == 0 ? (uint32_t)(255 - i) : next());
    for (size_t ni = 0; ni < NSIZES; ni++)
      for (int inplace = 0; inplace < 2; inplace++) {
        const size_t n = sizes[ni];
        uint8_t *px = x + OFF_A(ni), *py = inplace ? px : y + OFF_Y(ni);
        for (size_t i = 0; i < n; i++) px[i] = (uint8_t)(n >= 256 && i < 256 ? (uint32_t)i : next());
        memcpy(x0, px, n);
        if (!inplace) py[n] = 0x5a;
        c->lut(n, px, py, table);
        if (!inplace) CHECK_MSG(py[n] == 0x5a, "%s wrote past n=%zu", c->name, n);
        for (size_t i = 0; i < n; i++)
          if (py[i] != table[x0[i]] && bad++ < 5)
            CHECK_MSG(0, "%s n=%zu%s: x[%zu]=%d -> %d, table %d", c->name, n, inplace ? " in place" : "", i, x0[i],
                      py[i], table[x0[i]]);
      }
  }
  CHECK(bad == 0);
}

/* The table builder: DequantizeLinear, the FP32 function, QuantizeLinear, per raw byte. */
static void test_lut_build(void) {
  uint8_t table[256];
  int bad = 0;
  for (int s8 = 0; s8 < 2; s8++) {
    const int32_t qmin = s8 ? -128 : 0, qmax = s8 ? 127 : 255;
    const qi_qu8_lut_side xs = {s8, 0.05f, s8 ? -3 : 125}, ys = {s8, 1.0f / 256, s8 ? -128 : 0};
    qi_f32_unary_params fp = {0};
    qi_qu8_lut_build(table, QI_VUNARY_SIGMOID, &fp, xs, ys, qmin, qmax);
    for (int b = 0; b < 256; b++) {
      const float x = (float)(value_of((uint8_t)b, s8) - xs.zero_point) * xs.scale;
      float fy;
      qi_f32_vsigmoid_ukernel__scalar(1, &x, &fy, &fp);
      const uint8_t want = byte_of(quantize_oracle(fy, ys.scale, ys.zero_point, qmin, qmax));
      if (table[b] != want && bad++ < 5)
        CHECK_MSG(0, "sigmoid table %s: byte %d -> %d, oracle %d", s8 ? "int8" : "uint8", b, table[b], want);
    }
    /* LeakyRelu 0.1 and the identity (requantization), in double: exact here (no ties at these scales) */
    fp.alpha = 0.125f;
    qi_qu8_lut_build(table, QI_VUNARY_LEAKY_RELU, &fp, xs, (qi_qu8_lut_side){s8, 0.03f, 7}, qmin, qmax);
    for (int b = 0; b < 256; b++) {
      const float x = (float)(value_of((uint8_t)b, s8) - xs.zero_point) * xs.scale;
      const float fy = x < 0 ? x * 0.125f : x;
      const uint8_t want = byte_of(quantize_oracle(fy, 0.03f, 7, qmin, qmax));
      if (table[b] != want && bad++ < 5)
        CHECK_MSG(0, "leaky table %s: byte %d -> %d, oracle %d", s8 ? "int8" : "uint8", b, table[b], want);
    }
    qi_qu8_lut_build(table, QI_VUNARY_COUNT, NULL, xs, (qi_qu8_lut_side){s8, 0.1f, 0}, qmin, qmax);
    for (int b = 0; b < 256; b++) {
      const float x = (float)(value_of((uint8_t)b, s8) - xs.zero_point) * xs.scale;
      const uint8_t want = byte_of(quantize_oracle(x, 0.1f, 0, qmin, qmax));
      if (table[b] != want && bad++ < 5)
        CHECK_MSG(0, "identity table %s: byte %d -> %d, oracle %d", s8 ? "int8" : "uint8", b, table[b], want);
    }
  }
  CHECK(bad == 0);
}

/* Runs a tester on every entry of a family's list the CPU can run; names: the entry's kernel names. */
#define TEST_LIST(family, test, ...)                                                                              \
  do {                                                                                                            \
    size_t count;                                                                                                 \
    const qi_##family##_config *const *list = qi_##family##_config_list(&count);                                 \
    for (size_t i = 0; i < count; i++) {                                                                          \
      const qi_##family##_config *c = list[i];                                                                    \
      const char *names[] = {__VA_ARGS__};                                                                        \
      const size_t n_names = sizeof names / sizeof names[0];                                                      \
      if (!kl_runnable_all(names, n_names, c->features)) continue;                                                \
      const int before = qi_test_failed;                                                                          \
      test(c);                                                                                                    \
      for (size_t j = 0; j < n_names; j++) printf("%s: %s\n", names[j], qi_test_failed == before ? "ok" : "FAILED"); \
    }                                                                                                             \
  } while (0)

int main(void) {
  TEST_LIST(qu8_quantize, test_quantize, c->quantize_name, c->dequantize_name);
  TEST_LIST(qu8_vadd, test_add, c->vadd_name, c->vaddc_name);
  TEST_LIST(qu8_vmul, test_mul, c->vmul_name, c->vmulc_name);
  TEST_LIST(qu8_lut, test_lut, c->name);
  test_lut_build();
  return TEST_SUMMARY();
}
