/* Tester of the qu8 depthwise convolution ukernels (kernels/qu8-dwconv) against a naive oracle written here:
 * int64 accumulation of w * (x - x_zp) over the in-bounds taps, in the tensor's own type (uint8, or int8 with
 * no sign flip), then q = clamp(round_half_even((float)acc * scale) + y_zp, qmin, qmax)
 * (tests/unit/requant_oracle.h). Exact match required. Both ukernels of every entry of the family's list
 * (qi_qu8_dwconv_config_list) this CPU can run (the others reported as skipped), over kernel sizes 1x1..7x7 and
 * non-square ones, strides 1-3, dilations 1-2, every padding up to the kernel, planes smaller than the kernel,
 * width 1 and widths around the vector width, uint8 and int8, extreme zero points and scales, qmin/qmax clamps,
 * planes taller than the VNNI kernels' band of staged rows, no write past the plane; and boundary cases, whose
 * every output sits on a rounding tie so that one unit of accumulator error changes it (see make_boundary). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-dwconv/qu8-dwconv.h"
#include "requant_oracle.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

typedef struct dw_case {
  size_t in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w, pt, pl, pb, pr;
  int is_s8;
  int32_t x_zp, y_zp, qmin, qmax; /* in the tensor's own type */
  float scale;
  int32_t bias;
  int boundary; /* 0: random data; 1 / 2: make_boundary's data, the first row parity 0 / 1 */
} dw_case;

static long long n_cases, n_pixels;
static int kind_3x3 = -1; /* the ukernel under test: run_case skips the other one (1: ukernel_3x3, 0: ukernel_any) */

/* Boundary data, as in tests/unit/qu8_gemm_tester.h's qg_boundary: weights 16 a, activations x_zp + 16 b, so
 * acc = bias + 256 T with T = sum of a b over the in-bounds taps; scale 2^-7 and bias 64 + 128 par put every
 * output on the tie 2 T + par + 0.5, which rounds to the even 2 T + 2 par: one unit more changes a par 0 plane's
 * every output, one unit less a par 1 plane's. |a| * |b| * taps <= 60 keeps 2 T + par + 0.5 inside [-127, 127]
 * around the zero point (nothing saturates): half the cases spread the weights (|b| <= 1), half the activations
 * (|a| <= 1). Returns the direction (+1 / -1) whose one-unit error every output must show. */
static int make_boundary(dw_case *c, uint8_t *in, size_t n_in, int8_t *w, size_t taps, uint32_t *seed) {
  const int32_t mid = c->is_s8 ? 0 : 128, par = (c->boundary - 1) & 1;
  const int wide_w = (int)(*seed % 2);
  int amax = 1, bmax = 1;
  if (wide_w) amax = 60 / (int)taps > 7 ? 7 : 60 / (int)taps;
  else bmax = 60 / (int)taps > 7 ? 7 : 60 / (int)taps;
  for (size_t i = 0; i < taps; i++) w[i] = (int8_t)(16 * ((int)(rnd(seed) % (2 * (uint32_t)amax + 1)) - amax));
  for (size_t i = 0; i < n_in; i++) in[i] = (uint8_t)(mid + 16 * ((int)(rnd(seed) % (2 * (uint32_t)bmax + 1)) - bmax));
  c->x_zp = c->y_zp = mid;
  c->qmin = mid - 128, c->qmax = mid + 127;
  c->scale = 0x1p-7f;
  c->bias = 64 + 128 * par;
  return par ? -1 : 1;
}

/* Returns 1 when the case has a valid geometry and was run. */
static int run_case(const qi_qu8_dwconv_config *cfg, int use_3x3, const dw_case *c, uint32_t seed) {
  const long long span_h = (long long)(c->k_h - 1) * c->d_h + 1, span_w = (long long)(c->k_w - 1) * c->d_w + 1;
  const long long ph = (long long)(c->in_h + c->pt + c->pb), pw = (long long)(c->in_w + c->pl + c->pr);
  if (ph < span_h || pw < span_w || (kind_3x3 >= 0 && use_3x3 != kind_3x3)) return 0;
  const size_t out_h = (size_t)((ph - span_h) / (long long)c->s_h + 1);
  const size_t out_w = (size_t)((pw - span_w) / (long long)c->s_w + 1);
  const size_t n_in = c->in_h * c->in_w, n_out = out_h * out_w, taps = c->k_h * c->k_w;
  uint8_t *in = malloc(n_in + 1), *out = malloc(n_out + 16);
  int8_t *w = malloc(taps);
  int32_t *want = malloc(n_out * sizeof(int32_t));
  for (size_t i = 0; i < n_in; i++) in[i] = (uint8_t)rnd(&seed);
  for (size_t i = 0; i < taps; i++) w[i] = (int8_t)rnd(&seed);
  if (seed % 7 == 0) /* extremes */
    for (size_t i = 0; i < taps; i++) w[i] = (int8_t)(i % 2 ? -128 : 127), in[i % (n_in ? n_in : 1)] = (uint8_t)(i % 3 ? 0 : 255);
  dw_case bc = *c; /* a boundary case replaces the data and the quantization */
  const int dir = c->boundary ? make_boundary(&bc, in, n_in, w, taps, &seed) : 0;
  c = &bc;
  memset(out, 0xA5, n_out + 16);
  int ok = 1;
  /* oracle, in the tensor's own type */
  for (size_t oy = 0; oy < out_h; oy++)
    for (size_t ox = 0; ox < out_w; ox++) {
      int64_t acc = c->bias;
      for (size_t ky = 0; ky < c->k_h; ky++)
        for (size_t kx = 0; kx < c->k_w; kx++) {
          const long long iy = (long long)(oy * c->s_h + ky * c->d_h) - (long long)c->pt;
          const long long ix = (long long)(ox * c->s_w + kx * c->d_w) - (long long)c->pl;
          if (iy < 0 || ix < 0 || iy >= (long long)c->in_h || ix >= (long long)c->in_w) continue;
          const uint8_t raw = in[iy * (long long)c->in_w + ix];
          const int64_t x = c->is_s8 ? (int64_t)(int8_t)raw : (int64_t)raw;
          acc += (int64_t)w[ky * c->k_w + kx] * (x - c->x_zp);
        }
      want[oy * out_w + ox] = oracle_requant((int32_t)acc, c->scale, c->y_zp, c->qmin, c->qmax);
      if (dir && oracle_requant((int32_t)acc + dir, c->scale, c->y_zp, c->qmin, c->qmax) == want[oy * out_w + ox]) {
        fprintf(stderr, "make_boundary: output (%zu, %zu) is off the boundary (acc %lld)\n", oy, ox, (long long)acc);
        ok = 0;
      }
    }
  const qi_window2d g = {c->in_h, c->in_w, out_h, out_w, c->k_h, c->k_w, c->s_h, c->s_w,
                         c->d_h,  c->d_w,  c->pt, c->pl, c->pb,  c->pr};
  const qi_qu8_dwconv_params p = cfg->init_params(cfg->x_domain, c->x_zp, c->y_zp, c->qmin, c->qmax, c->is_s8);
  (use_3x3 ? cfg->ukernel_3x3 : cfg->ukernel_any)(&g, in, w, c->bias, c->scale, out, &p);
  for (size_t i = 0; i < n_out && ok; i++) {
    const int32_t got = c->is_s8 ? (int32_t)(int8_t)out[i] : (int32_t)out[i];
    if (got != want[i]) {
      fprintf(stderr,
              "%s: %s in %zux%zu out %zux%zu kernel %zux%zu stride %zux%zu dil %zux%zu pad t%zu l%zu b%zu r%zu "
              "x_zp %d y_zp %d q [%d, %d] scale %g bias %d%s: y[%zu][%zu] = %d, want %d\n",
              use_3x3 ? cfg->name_3x3 : cfg->name_any, c->is_s8 ? "int8" : "uint8", c->in_h, c->in_w, out_h, out_w,
              c->k_h, c->k_w, c->s_h, c->s_w, c->d_h, c->d_w, c->pt, c->pl, c->pb, c->pr, c->x_zp, c->y_zp, c->qmin,
              c->qmax, (double)c->scale, c->bias, c->boundary ? " boundary" : "", i / out_w, i % out_w, got, want[i]);
      ok = 0;
    }
  }
  for (size_t i = n_out; i < n_out + 16 && ok; i++)
    if (out[i] != 0xA5) {
      fprintf(stderr, "%s: in %zux%zu kernel %zux%zu wrote past the plane\n", use_3x3 ? cfg->name_3x3 : cfg->name_any,
              c->in_h, c->in_w, c->k_h, c->k_w);
      ok = 0;
    }
  CHECK(ok);
  n_cases++;
  n_pixels += (long long)n_out;
  free(in), free(out), free(w), free(want);
  return 1;
}

/* Quantization parameters: extreme and random zero points, scales that saturate or barely move, clamps. */
static void pick_quant(dw_case *c, uint32_t *seed) {
  const int32_t lo = c->is_s8 ? -128 : 0, hi = lo + 255;
  const int32_t zps[] = {lo, hi, lo + 128, lo + 1, lo + (int32_t)(rnd(seed) % 256)};
  const float scales[] = {1e-4f, 3e-3f, 0.0123f, 0.37f, 2.5f, 1.0f / 1024.0f};
  c->x_zp = zps[rnd(seed) % 5];
  c->y_zp = zps[rnd(seed) % 5];
  c->scale = scales[rnd(seed) % 6];
  c->bias = (int32_t)(rnd(seed) % 200001) - 100000;
  c->qmin = lo, c->qmax = hi;
  switch (rnd(seed) % 4) {
    case 0: c->qmin = c->y_zp; break;                                   /* Relu */
    case 1: c->qmin = c->y_zp - (c->y_zp - lo) / 2, c->qmax = c->y_zp + (hi - c->y_zp) / 3; break; /* Clip */
    default: break;
  }
}

static void test_config(const qi_qu8_dwconv_config *cfg) {
  uint32_t seed = 12345;
  /* every geometry of a 3x3 window (both ukernels) over small planes */
  for (int use_3x3 = 1; use_3x3 >= 0; use_3x3--)
    for (size_t s = 1; s <= 3; s++)
      for (size_t d = 1; d <= 2; d++)
        for (size_t pad = 0; pad <= 3; pad++)
          for (size_t in_h = 1; in_h <= 6; in_h += (in_h < 4 ? 1 : 2))
            for (size_t in_w = 1; in_w <= 40; in_w += (in_w < 20 ? 1 : 3)) {
              dw_case c = {in_h, in_w, 3, 3, s, s, d, d, pad, pad, pad, pad, (int)(seed & 1), 0, 0, 0, 0, 0, 0, 0};
              if (pad > 0 && seed % 3 == 0) c.pb = pad - 1, c.pr = (pad + 1) % 4; /* asymmetric */
              if (seed % 5 == 0) c.s_h = s % 3 + 1;                             /* stride_h != stride_w */
              pick_quant(&c, &seed);
              run_case(cfg, use_3x3, &c, rnd(&seed));
            }
  /* real widths: the vector loop, its remainder, the borders */
  const size_t widths[] = {7, 8, 9, 14, 15, 16, 17, 28, 31, 32, 33, 56, 63, 64, 65, 112, 127};
  for (int use_3x3 = 1; use_3x3 >= 0; use_3x3--)
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
      for (size_t s = 1; s <= 2; s++)
        for (int is_s8 = 0; is_s8 <= 1; is_s8++) {
          dw_case c = {9, widths[wi], 3, 3, s, s, 1, 1, 1, 1, 1, 1, is_s8, 0, 0, 0, 0, 0, 0, 0};
          if (s == 2 && wi % 2) c.pt = c.pl = 0; /* TF-style "SAME_UPPER" stride-2 padding */
          pick_quant(&c, &seed);
          run_case(cfg, use_3x3, &c, rnd(&seed));
          c.pt = c.pl = c.pb = c.pr = 0;
          run_case(cfg, use_3x3, &c, rnd(&seed));
        }
  /* every kernel size with the generic ukernel */
  const size_t ks[][2] = {{1, 1}, {5, 5}, {7, 7}, {1, 3}, {3, 1}, {2, 3}, {5, 2}, {4, 4}, {3, 3}, {11, 11}};
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
    for (size_t s = 1; s <= 3; s++)
      for (size_t d = 1; d <= 2; d++)
        for (size_t pad = 0; pad <= ks[ki][0] + 1; pad += 1 + (ks[ki][0] > 4))
          for (size_t in = 1; in <= 21; in += 4) {
            dw_case c = {in, in + 2 * (seed % 9), ks[ki][0], ks[ki][1], s, s, d, d, pad, pad, pad, pad,
                         (int)(seed >> 3 & 1), 0, 0, 0, 0, 0, 0, 0};
            if (seed % 4 == 0) c.d_w = 3 - d, c.s_w = s % 3 + 1;
            pick_quant(&c, &seed);
            run_case(cfg, 0, &c, rnd(&seed));
          }
  /* exhaustive over zero points x scales on one 3x3 plane */
  const float scales[] = {1e-5f, 0.001f, 0.05f, 1.0f, 100.0f};
  for (int is_s8 = 0; is_s8 <= 1; is_s8++)
    for (int32_t xz = 0; xz <= 255; xz += 51)
      for (int32_t yz = 0; yz <= 255; yz += 85)
        for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++) {
          const int32_t lo = is_s8 ? -128 : 0;
          dw_case c = {7, 23, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, is_s8, lo + xz, lo + yz, lo, lo + 255, scales[si],
                       (int32_t)(rnd(&seed) % 2001) - 1000, 0};
          run_case(cfg, 1, &c, rnd(&seed));
          c.s_h = c.s_w = 2;
          run_case(cfg, 1, &c, rnd(&seed));
        }
  /* planes taller than one band of staged rows (VNNI kernels: 32 KiB of padded rows), tall windows, kernel_w 4 */
  const size_t bands[][6] = {{70, 1000, 3, 3, 1, 1}, {90, 1500, 3, 3, 2, 1}, {40, 2100, 3, 3, 1, 2},
                             {300, 200, 7, 3, 1, 1}, {65, 900, 5, 4, 2, 1},  {33, 3000, 3, 2, 1, 3}};
  for (size_t bi = 0; bi < sizeof bands / sizeof bands[0]; bi++) {
    const size_t *b = bands[bi];
    dw_case c = {b[0], b[1], b[2], b[3], b[4], b[4], b[5], b[5] > 2 ? 1 : b[5], 1, 1, 1, 1, (int)(bi & 1), 0, 0, 0,
                 0, 0, 0, 0};
    pick_quant(&c, &seed);
    run_case(cfg, b[2] == 3 && b[3] == 3, &c, rnd(&seed));
    run_case(cfg, 0, &c, rnd(&seed));
  }
  /* MobileNetV2 layer shapes */
  const size_t layers[][3] = {{112, 112, 1}, {112, 112, 2}, {56, 56, 1}, {56, 56, 2}, {28, 28, 1}, {14, 14, 1}, {7, 7, 1}};
  for (size_t li = 0; li < sizeof layers / sizeof layers[0]; li++) {
    dw_case c = {layers[li][0], layers[li][1], 3, 3, layers[li][2], layers[li][2], 1, 1, 1, 1, 1, 1,
                 (int)(li & 1), 0, 0, 0, 0, 0, 0, 0};
    if (layers[li][2] == 2) c.pt = c.pl = 0;
    pick_quant(&c, &seed);
    c.scale = 0.004f;
    run_case(cfg, 1, &c, rnd(&seed));
    run_case(cfg, 0, &c, rnd(&seed));
  }
}

/* Boundary cases (make_boundary): every output on a rounding tie, both error directions, uint8 and int8, kernel
 * sizes up to 7x7, strides 1 and 2, padding, widths around the vector widths and the VNNI kernels' 8-output
 * steps, borders included. */
static void test_boundary(const qi_qu8_dwconv_config *cfg) {
  uint32_t seed = 99;
  const size_t ks[][2] = {{3, 3}, {1, 1}, {2, 3}, {3, 1}, {5, 5}, {7, 7}};
  const size_t widths[] = {1, 5, 7, 8, 9, 14, 15, 16, 17, 24, 31, 32, 33, 63};
  for (int use_3x3 = 1; use_3x3 >= 0; use_3x3--)
    for (size_t ki = 0; ki < (use_3x3 ? 1 : sizeof ks / sizeof ks[0]); ki++)
      for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t s = 1; s <= 2; s++)
          for (size_t pad = 0; pad <= 1; pad++)
            for (int boundary = 1; boundary <= 2; boundary++) {
              const size_t h = 3 + (wi + s) % 6;
              dw_case c = {h, widths[wi], ks[ki][0], ks[ki][1], s, s, 1, 1 + (wi % 4 == 3), pad, pad, pad, pad,
                           (int)((wi + pad + s) & 1), 0, 0, 0, 0, 0, 0, boundary};
              run_case(cfg, use_3x3, &c, rnd(&seed));
            }
}

/* Tests one ukernel of cfg (3x3 or any) unless an entry above had it, and prints its name and counts. */
static void test_kernel(kl_seen *seen, const qi_qu8_dwconv_config *cfg, int use_3x3) {
  const char *name = use_3x3 ? cfg->name_3x3 : cfg->name_any;
  if (!KL_FIRST(seen, use_3x3 ? cfg->ukernel_3x3 : cfg->ukernel_any, name)) return;
  const long long c0 = n_cases, p0 = n_pixels;
  const int failed = qi_test_failed;
  kind_3x3 = use_3x3;
  test_config(cfg);
  test_boundary(cfg);
  kind_3x3 = -1;
  printf("%s: %lld planes, %lld outputs %s\n", name, n_cases - c0, n_pixels - p0,
         qi_test_failed == failed ? "ok" : "FAILED");
}

int main(void) {
  size_t count;
  const qi_qu8_dwconv_config *const *list = qi_qu8_dwconv_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_dwconv_config *cfg = list[i];
    const char *names[] = {cfg->name_3x3, cfg->name_any};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    test_kernel(&seen, cfg, 1);
    test_kernel(&seen, cfg, 0);
  }
  return TEST_SUMMARY();
}
