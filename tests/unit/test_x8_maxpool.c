/* Tester of the 8-bit max pooling ukernels (kernels/u8-maxpool, kernels/s8-maxpool) against a naive oracle
 * written here: for each output, the max over the window's in-bounds taps, or the type's lowest value (0,
 * INT8_MIN) when it has none. Exact match required. Every kernel of both families' lists this CPU can run (the
 * others reported as skipped; the N-d kernels without indices here, with them in test_ops_nn_pool_nd.c),
 * uint8 and int8, 1-D and 2-D windows: kernel sizes 1..7 and non-square ones,
 * strides 1..4, dilations 1..3, paddings up to past the kernel (windows with no in-bounds tap), ceil_mode
 * overhangs, widths around the 16- and 32-byte vectors, ResNet's 3x3 stride-2 pad-1 and 2x2 stride-2 layers,
 * rows too wide for the AVX2 row buffer, and no write past the plane. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/u8-maxpool.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

typedef struct mp_case {
  size_t dims; /* 1: a row (the h fields are ignored) or 2 */
  size_t in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w, pt, pl, pb, pr;
  int ceil_mode, is_s8;
} mp_case;

/* The kernel under test: one of the four pointers is set; cases of the other type are skipped. */
typedef struct mp_kernels {
  int is_s8;
  qi_u8_maxpool_ukernel_2d_fn u8;
  qi_s8_maxpool_ukernel_2d_fn s8;
  qi_u8_maxpool_ukernel_nd_fn u8_nd;
  qi_s8_maxpool_ukernel_nd_fn s8_nd;
  const char *name;
} mp_kernels;

static long long n_cases, n_outputs;

static size_t out_len(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe, int ceil_mode, int *ok) {
  const long long span = (long long)(k - 1) * (long long)d + 1, padded = (long long)(in + pb + pe);
  if (padded < span) return *ok = 0, 0;
  long long n = ceil_mode ? (padded - span + (long long)s - 1) / (long long)s + 1 : (padded - span) / (long long)s + 1;
  /* ONNX: with ceil_mode, the last window must start inside the input or the begin padding */
  if (ceil_mode && (n - 1) * (long long)s >= (long long)(in + pb)) n--;
  return (size_t)n;
}

/* Returns 1 when the case has a valid geometry and was run. */
static int run_case(const mp_kernels *k, const mp_case *c, uint32_t seed) {
  int ok = 1;
  const size_t in_h = c->dims == 1 ? 1 : c->in_h;
  const size_t out_w = out_len(c->in_w, c->k_w, c->s_w, c->d_w, c->pl, c->pr, c->ceil_mode, &ok);
  const size_t out_h = c->dims == 1 ? 1 : out_len(c->in_h, c->k_h, c->s_h, c->d_h, c->pt, c->pb, c->ceil_mode, &ok);
  if (!ok || out_w == 0 || out_h == 0 || c->is_s8 != k->is_s8) return 0;
  const size_t n_in = in_h * c->in_w, n_out = out_h * out_w;
  uint8_t *in = malloc(n_in), *out = malloc(n_out + 64);
  uint8_t *want = malloc(n_out);
  for (size_t i = 0; i < n_in; i++) in[i] = (uint8_t)rnd(&seed);
  if (seed % 5 == 0) /* extremes: every byte the lowest or highest value of either type */
    for (size_t i = 0; i < n_in; i++) {
      const uint8_t ext[4] = {0x00, 0x7f, 0x80, 0xff};
      in[i] = ext[rnd(&seed) % 4];
    }
  memset(out, 0xA5, n_out + 64);
  const int32_t lowest = c->is_s8 ? INT8_MIN : 0;
  const size_t kh = c->dims == 1 ? 1 : c->k_h, sh = c->dims == 1 ? 1 : c->s_h, dh = c->dims == 1 ? 1 : c->d_h;
  const size_t pt = c->dims == 1 ? 0 : c->pt;
  for (size_t oy = 0; oy < out_h; oy++)
    for (size_t ox = 0; ox < out_w; ox++) {
      int32_t best = lowest;
      for (size_t ky = 0; ky < kh; ky++)
        for (size_t kx = 0; kx < c->k_w; kx++) {
          const long long iy = (long long)(oy * sh + ky * dh) - (long long)pt;
          const long long ix = (long long)(ox * c->s_w + kx * c->d_w) - (long long)c->pl;
          if (iy < 0 || ix < 0 || iy >= (long long)in_h || ix >= (long long)c->in_w) continue;
          const uint8_t raw = in[iy * (long long)c->in_w + ix];
          const int32_t v = c->is_s8 ? (int32_t)(int8_t)raw : (int32_t)raw;
          if (v > best) best = v;
        }
      want[oy * out_w + ox] = (uint8_t)best;
    }
  qi_windownd g = {0};
  g.dims = c->dims;
  const size_t a = c->dims - 1;
  g.in[a] = c->in_w, g.out[a] = out_w, g.kernel[a] = c->k_w, g.stride[a] = c->s_w, g.dilation[a] = c->d_w;
  g.pad_begin[a] = c->pl, g.pad_end[a] = c->pr;
  if (c->dims == 2)
    g.in[0] = c->in_h, g.out[0] = out_h, g.kernel[0] = c->k_h, g.stride[0] = c->s_h, g.dilation[0] = c->d_h,
    g.pad_begin[0] = c->pt, g.pad_end[0] = c->pb;
  if (k->s8) k->s8(&g, (const int8_t *)in, (int8_t *)out);
  else if (k->u8) k->u8(&g, in, out);
  else if (k->s8_nd) k->s8_nd(&g, (const int8_t *)in, (int8_t *)out, NULL, 0, false);
  else k->u8_nd(&g, in, out, NULL, 0, false);
  const char *name = k->name;
  for (size_t i = 0; i < n_out && ok; i++)
    if (out[i] != want[i]) {
      fprintf(stderr,
              "%s: %zu-d in %zux%zu out %zux%zu kernel %zux%zu stride %zux%zu dil %zux%zu pad t%zu l%zu b%zu r%zu "
              "ceil %d: y[%zu][%zu] = %d, want %d\n",
              name, c->dims, in_h, c->in_w, out_h, out_w, kh, c->k_w, sh, c->s_w, dh, c->d_w, pt, c->pl, c->pb, c->pr,
              c->ceil_mode, i / out_w, i % out_w, c->is_s8 ? (int)(int8_t)out[i] : (int)out[i],
              c->is_s8 ? (int)(int8_t)want[i] : (int)want[i]);
      ok = 0;
    }
  for (size_t i = n_out; i < n_out + 64 && ok; i++)
    if (out[i] != 0xA5) {
      fprintf(stderr, "%s: in %zux%zu kernel %zux%zu wrote past the plane\n", name, in_h, c->in_w, kh, c->k_w);
      ok = 0;
    }
  CHECK(ok);
  n_cases++;
  n_outputs += (long long)n_out;
  free(in), free(out), free(want);
  return 1;
}

static void test_kernels(const mp_kernels *k) {
  uint32_t seed = 777;
  /* 2-D: every small geometry of square windows */
  for (size_t kk = 1; kk <= 4; kk++)
    for (size_t s = 1; s <= 4; s++)
      for (size_t d = 1; d <= 3; d += 2)
        for (size_t pad = 0; pad <= kk; pad++)
          for (size_t in_h = 1; in_h <= 7; in_h += 2)
            for (size_t in_w = 1; in_w <= 70; in_w += (in_w < 36 ? 1 : 5)) {
              mp_case c = {2, in_h, in_w, kk, kk, s, s, d, d, pad, pad, pad, pad, (int)(seed >> 4 & 1),
                           (int)(seed >> 9 & 1)}; /* a high bit: the low one has one parity here */
              if (pad > 0 && seed % 3 == 0) c.pb = pad - 1, c.pr = (pad + 1) % (kk + 1); /* asymmetric */
              if (seed % 5 == 0) c.s_h = s % 4 + 1;                                  /* stride_h != stride_w */
              if (seed % 7 == 0) c.d_h = 2, c.k_w = kk % 4 + 1;                     /* non-square */
              run_case(k, &c, rnd(&seed));
              rnd(&seed);
            }
  /* 1-D rows */
  for (size_t kk = 1; kk <= 7; kk += 2)
    for (size_t s = 1; s <= 3; s++)
      for (size_t d = 1; d <= 2; d++)
        for (size_t pad = 0; pad <= kk + 1; pad++)
          for (size_t in_w = 1; in_w <= 100; in_w += (in_w < 40 ? 1 : 7))
            for (int is_s8 = 0; is_s8 <= 1; is_s8++) {
              mp_case c = {1, 1, in_w, 1, kk, 1, s, 1, d, 0, pad, 0, pad, (int)(seed >> 5 & 1), is_s8};
              run_case(k, &c, rnd(&seed));
            }
  /* network layers: ResNet's 3x3 / 2 pad 1 after the stem, 2x2 / 2, 3x3 / 1 pad 1, ceil_mode 3x3 / 2 */
  const size_t layers[][6] = {{112, 112, 3, 2, 1, 0}, {56, 56, 2, 2, 0, 0},   {28, 28, 3, 1, 1, 0},
                              {55, 55, 3, 2, 0, 1},   {147, 147, 3, 2, 0, 0}, {160, 240, 2, 2, 0, 1},
                              {7, 7, 3, 2, 1, 1},     {13, 13, 5, 1, 2, 0}};
  for (size_t li = 0; li < sizeof layers / sizeof layers[0]; li++)
    for (int is_s8 = 0; is_s8 <= 1; is_s8++) {
      const size_t *l = layers[li];
      mp_case c = {2, l[0], l[1], l[2], l[2], l[3], l[3], 1, 1, l[4], l[4], l[4], l[4], (int)l[5], is_s8};
      run_case(k, &c, rnd(&seed));
    }
  /* rows wider than the AVX2 row buffer (the scalar fallback), and just below it */
  const size_t wide[] = {16383 - 64, 16384, 20000};
  for (size_t wi = 0; wi < sizeof wide / sizeof wide[0]; wi++)
    for (int is_s8 = 0; is_s8 <= 1; is_s8++) {
      mp_case c = {2, 3, wide[wi], 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, is_s8};
      run_case(k, &c, rnd(&seed));
      c.s_w = 2;
      run_case(k, &c, rnd(&seed));
    }
}

static void test_kernel(kl_seen *seen, const mp_kernels *k, uintptr_t fn) {
  if (!kl_first(seen, fn, k->name)) return;
  const long long before = n_cases;
  const int failed = qi_test_failed;
  test_kernels(k);
  printf("%s: %lld cases %s\n", k->name, n_cases - before, qi_test_failed == failed ? "ok" : "FAILED");
}

/* Both kernels of every entry of the t (u8 / s8) family's list the CPU can run. */
#define TEST_LIST(t, s8)                                                                                          \
  do {                                                                                                            \
    size_t count;                                                                                                 \
    const qi_##t##_maxpool_config *const *list = qi_##t##_maxpool_config_list(&count);                           \
    for (size_t i = 0; i < count; i++) {                                                                          \
      const char *names[] = {list[i]->name_2d, list[i]->name_nd};                                                 \
      if (!kl_runnable_all(names, 2, list[i]->features)) continue;                                                \
      test_kernel(&seen, &(mp_kernels){.is_s8 = s8, .t = list[i]->ukernel_2d, .name = list[i]->name_2d},          \
                  (uintptr_t)list[i]->ukernel_2d);                                                                \
      test_kernel(&seen, &(mp_kernels){.is_s8 = s8, .t##_nd = list[i]->ukernel_nd, .name = list[i]->name_nd},     \
                  (uintptr_t)list[i]->ukernel_nd);                                                                \
    }                                                                                                             \
  } while (0)

int main(void) {
  kl_seen seen = {0};
  TEST_LIST(u8, 0);
  TEST_LIST(s8, 1);
  printf("%lld cases, %lld outputs\n", n_cases, n_outputs);
  return TEST_SUMMARY();
}
