/* The 8-bit elementwise kernels (kernels/qu8-quantize, qu8-vadd, qu8-vmul, qu8-lut): every kernel of each
 * family's list this CPU can run (the others reported as skipped), against naive oracles written here (exact:
 * tolerance 0), uint8 and int8, sizes around the vector widths. The add kernel is also checked to be within
 * one step of the real-valued result round_half_even((DQ(a) + DQ(b)) / y_scale) + y_zp on all 65536 input
 * pairs for ordinary and extreme scale ratios. */
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

static const size_t sizes[] = {0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 47, 64, 100, 255, 1000, 4099};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define MAXN 4099

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

/* ---- quantize / dequantize ---- */

static int32_t quantize_oracle(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float q = x / scale; /* ONNX: x / y_scale in float, round half to even, + zp, saturate */
  if (isnan(q)) return zp;
  return clampi(rint((double)q) + zp, qmin, qmax);
}

static void test_quantize(const qi_qu8_quantize_config *c) {
  static float x[MAXN];
  static uint8_t y[MAXN + 1];
  static float yf[MAXN];
  static const float scales[] = {1.0f, 0.5f, 0.0078125f, 0.1f, 0.0123f, 3.0f, 1e-6f, 1e6f};
  int bad = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++)
      for (size_t ni = 0; ni < NSIZES; ni++) {
        const size_t n = sizes[ni];
        const float scale = scales[si];
        const int32_t qmin = s8 ? -128 : 0, qmax = s8 ? 127 : 255;
        const int32_t zp = qmin + (int32_t)(next() % 256);
        for (size_t i = 0; i < n; i++) {
          switch (next() % 8) {
            case 0: x[i] = ((float)(int32_t)(next() % 600) - 300.0f + 0.5f) * scale; break; /* ties */
            case 1: x[i] = (next() & 1) ? INFINITY : -INFINITY; break;
            case 2: x[i] = (next() & 1) ? NAN : -0.0f; break;
            default: x[i] = frand(-300.0f, 300.0f) * scale;
          }
        }
        y[n] = 0xa5;
        const qi_qu8_quantize_params p = c->init_params(c->x_domain, scale, zp, qmin, qmax, s8);
        c->quantize(n, x, y, &p);
        for (size_t i = 0; i < n && bad < 5; i++) {
          const uint8_t want = byte_of(quantize_oracle(x[i], scale, zp, qmin, qmax));
          if (y[i] != want) {
            bad++;
            CHECK_MSG(0, "%s n=%zu %s scale=%g zp=%d: x[%zu]=%.9g -> %d, oracle %d", c->quantize_name, n,
                      s8 ? "int8" : "uint8", (double)scale, zp, i, (double)x[i], value_of(y[i], s8),
                      value_of(want, s8));
          }
        }
        CHECK_MSG(y[n] == 0xa5, "%s wrote past n=%zu", c->quantize_name, n);
        /* dequantize: random bytes */
        for (size_t i = 0; i < n; i++) y[i] = (uint8_t)next();
        yf[n > 0 ? n - 1 : 0] = 0.0f;
        c->dequantize(n, y, yf, &p);
        for (size_t i = 0; i < n && bad < 5; i++) {
          const float want = (float)(value_of(y[i], s8) - zp) * scale;
          if (memcmp(&yf[i], &want, sizeof want) != 0) {
            bad++;
            CHECK_MSG(0, "%s n=%zu %s scale=%g zp=%d: q[%zu]=%d -> %.9g, oracle %.9g", c->dequantize_name, n,
                      s8 ? "int8" : "uint8", (double)scale, zp, i, value_of(y[i], s8), (double)yf[i], (double)want);
          }
        }
      }
  CHECK(bad == 0);
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
    {7.0f, 7.0f, 0.0043f},   {0.003f, 0.004f, 100.0f},
};

static void test_add(const qi_qu8_vadd_config *c) {
  static uint8_t a[65536], b[65536], y[65536 + 1];
  int bad = 0, off_real = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t k = 0; k < sizeof add_scales / sizeof add_scales[0]; k++) {
      const scale3 sc = add_scales[k];
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
      /* broadcast b over sizes */
      for (size_t ni = 0; ni < NSIZES; ni++) {
        const size_t n = sizes[ni];
        const uint8_t bb = (uint8_t)next();
        for (size_t i = 0; i < n; i++) a[i] = (uint8_t)next();
        y[n] = 0x5a;
        c->vaddc(n, a, &bb, y, &p);
        CHECK(y[n] == 0x5a);
        for (size_t i = 0; i < n; i++) {
          const int32_t want = add_oracle(value_of(a[i], s8), value_of(bb, s8), sc.sa, za, sc.sb, zb, sc.sy, zy, qmin,
                                          qmax, fp, 1);
          if (value_of(y[i], s8) != want && bad++ < 5)
            CHECK_MSG(0, "%s n=%zu %s: a[%zu]=%d b=%d -> %d, oracle %d", c->vaddc_name, n, s8 ? "int8" : "uint8", i,
                      value_of(a[i], s8), value_of(bb, s8), value_of(y[i], s8), want);
        }
      }
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

static void test_mul(const qi_qu8_vmul_config *c) {
  static uint8_t a[65536], b[65536], y[65536 + 1];
  int bad = 0;
  for (int s8 = 0; s8 < 2; s8++)
    for (size_t k = 0; k < sizeof add_scales / sizeof add_scales[0]; k++) {
      const scale3 sc = add_scales[k];
      const int32_t qmin = s8 ? -128 : 0, qmax = s8 ? 127 : 255;
      const int32_t za = qmin + (int32_t)(next() % 256), zb = qmin + (int32_t)(next() % 256);
      const int32_t zy = qmin + (int32_t)(next() % 256);
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
          CHECK_MSG(0, "%s %s scale %g zps %d %d %d: a=%d b=%d acc=%d -> %d, oracle %d", c->vmul_name,
                    s8 ? "int8" : "uint8", (double)scale, za, zb, zy, va, vb, (va - za) * (vb - zb), got, want);
      }
      for (size_t ni = 0; ni < NSIZES; ni++) {
        const size_t n = sizes[ni];
        const uint8_t bb = (uint8_t)next();
        for (size_t i = 0; i < n; i++) a[i] = (uint8_t)next();
        y[n] = 0x5a;
        c->vmulc(n, a, &bb, y, &p);
        CHECK(y[n] == 0x5a);
        for (size_t i = 0; i < n; i++) {
          const int32_t want = mul_oracle(value_of(a[i], s8), value_of(bb, s8), za, zb, scale, zy, qmin, qmax);
          if (value_of(y[i], s8) != want && bad++ < 5)
            CHECK_MSG(0, "%s n=%zu %s: a[%zu]=%d b=%d -> %d, oracle %d", c->vmulc_name, n, s8 ? "int8" : "uint8", i,
                      value_of(a[i], s8), value_of(bb, s8), value_of(y[i], s8), want);
        }
      }
    }
  CHECK(bad == 0);
}

/* ---- lookup ---- */

static void test_lut(const qi_qu8_lut_config *c) {
  static uint8_t x[MAXN], y[MAXN + 1], table[256];
  int bad = 0;
  for (int rep = 0; rep < 4; rep++) {
    for (int i = 0; i < 256; i++) table[i] = (uint8_t)(rep == 0 ? (uint32_t)(255 - i) : next());
    for (size_t ni = 0; ni < NSIZES; ni++) {
      const size_t n = sizes[ni];
      for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(n >= 256 && i < 256 ? (uint32_t)i : next());
      y[n] = 0x5a;
      c->lut(n, x, y, table);
      CHECK(y[n] == 0x5a);
      for (size_t i = 0; i < n; i++)
        if (y[i] != table[x[i]] && bad++ < 5)
          CHECK_MSG(0, "%s n=%zu: x[%zu]=%d -> %d, table %d", c->name, n, i, x[i], y[i], table[x[i]]);
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
